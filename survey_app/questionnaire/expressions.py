"""The expression language of `relevant`, `constraint` and `calculation`: an XLSForm XPath subset.

Expressions are parsed once (with a `lark` LALR grammar) into a tree of frozen nodes that
evaluate in pure Python against a dict of answers.  The evaluator is hand-written because no
maintained Python library evaluates the XLSForm XPath dialect (`${name}` references,
`selected()`, `count-selected()`, ...) against plain values: pyxform only translates XLSForms
into XForm XML for ODK's Java/JavaScript engines, and generic XPath libraries (elementpath,
lxml) need an XML document and know none of the ODK functions.

Runtime semantics follow ODK/XPath 1.0 pragmatically, with one rule above all: evaluating never
raises.  Unanswered questions are "", arithmetic on non-numbers is NaN, division by zero is
±Infinity/NaN, and anything odd ends up as NaN, "" or false.  ISO dates ('YYYY-MM-DD') are
numbers of days since 1970-01-01 in numeric context, as in ODK, so `today() - ${dob}` and
`${end} >= ${start}` work on the strings the answers hold.

Repeats (rosters) follow ODK XForms: inside an entry, `${age}` (or `../age`) is the same
entry's answer and `position(..)` the entry's 1-based position; outside, a question of a
repeat is a node-set with one node per entry ("" where unanswered), which `count()`,
`sum()`, `min()`, `max()`, `join()` and `count-non-empty()` take whole, any other use its
first node; `indexed-repeat(${age}, ${members}, 2)` is the second entry's answer.
"""

from __future__ import annotations

import datetime
import math
import re
import secrets
import string as string_module
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Literal, Protocol

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

__all__ = [
    "SELF",
    "AnswerCondition",
    "AnswerConditions",
    "EntryAnswers",
    "Expression",
    "ExpressionError",
    "RepeatStructure",
    "answer_conditions",
    "parse_expression",
    "to_boolean",
]

# A runtime value: None never appears (unanswered is ""), numbers stay int where exact.
Value = str | int | float | bool | list[str]


@dataclass(frozen=True, slots=True)
class Nodes:
    """A node-set: a question of a repeat seen from outside its entries, one value per
    entry ("" where unanswered), or a repeat's entries themselves (each "")."""

    values: tuple[Value, ...]


# What a node of the tree evaluates to: a node-set only where a reference reaches into a
# repeat; everything but the aggregate functions sees its first node (XPath's rule).
Result = Value | Nodes


def _collapse(result: Result) -> Value:
    if isinstance(result, Nodes):
        return result.values[0] if result.values else ""
    return result


def _items(results: list[Result]) -> list[Value]:
    """The arguments of an aggregate function, node-sets spread out."""
    items: list[Value] = []
    for result in results:
        if isinstance(result, Nodes):
            items.extend(result.values)
        else:
            items.append(result)
    return items


_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr | or_expr "or" and_expr -> or_op
?and_expr: eq_expr | and_expr "and" eq_expr -> and_op
?eq_expr: rel_expr | eq_expr "=" rel_expr -> eq | eq_expr "!=" rel_expr -> ne
?rel_expr: add_expr
    | rel_expr "<" add_expr -> lt
    | rel_expr "<=" add_expr -> le
    | rel_expr ">" add_expr -> gt
    | rel_expr ">=" add_expr -> ge
?add_expr: mul_expr | add_expr "+" mul_expr -> add | add_expr "-" mul_expr -> sub
?mul_expr: unary_expr
    | mul_expr "*" unary_expr -> mul
    | mul_expr "div" unary_expr -> div
    | mul_expr "mod" unary_expr -> mod
?unary_expr: primary | "-" unary_expr -> neg
?primary: REF -> ref
    | PATH -> path
    | "." -> current
    | NUMBER -> number
    | STRING -> string
    | NAME "(" (or_expr ("," or_expr)*)? ")" -> call
    | NAME -> column
    | "(" or_expr ")"

REF: /\$\{[A-Za-z_][A-Za-z0-9_.\-]*\}/
// A relative path inside a repeat's entry: '..' (the entry), '../age', '../../x'; pyxform
// writes 'current()/../age' in choice filters.
PATH.2: /(current\(\)\/)?\.\.(\/\.\.)*(\/[A-Za-z_][A-Za-z0-9_.\-]*)?/
NUMBER: /\d+(\.\d*)?|\.\d+/
STRING: /'[^']*'|"[^"]*"/
// '-' only joins letters ('count-selected'), so '${a} div-1' still lexes as 'div', '-', '1';
// the literals "div", "mod", "and", "or" win over NAME through lark's keyword handling.
// An optional namespace prefix: 'jr:choice-name'.
NAME: /([A-Za-z_][A-Za-z0-9_]*:)?[A-Za-z_][A-Za-z0-9_]*(-[A-Za-z_][A-Za-z0-9_]*)*/
%ignore /\s+/
"""

# cache=True: the parse table is stored in the temporary directory, which saves every
# command-line call and server start the grammar analysis (0.18 s of `survey-app check`).
_PARSER = Lark(_GRAMMAR, parser="lalr", cache=True)

# Evaluation recurses once or twice per level; this keeps far below Python's recursion limit
# while allowing sums of a couple of hundred terms.
_MAX_DEPTH = 200
_EPOCH = datetime.date(1970, 1, 1)
_EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_NUMBER_RE = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)\s*")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class ExpressionError(ValueError):
    """Syntax error, unknown function or wrong arity found by `parse_expression`.

    `.message` is a sentence for the form author; `.position` the 0-based character offset
    in the source, or None when there is no single place to point at.
    """

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


# -- conversions (XPath string(), number(), boolean()) ----------------------------------------


def _scalar(value: object) -> str | bool | int | float:
    if value is None:
        return ""
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return str(value)
    except Exception:  # evaluation must not raise, whatever the caller stored
        return ""


def _normalize(value: object) -> Value:
    """Any answer value as a runtime value: None is "", sequences are lists of choice names."""
    if isinstance(value, list | tuple | set | frozenset):
        # One level only: nested containers are just text, which also defuses cyclic lists.
        return [_to_string(_scalar(item)) for item in value]
    return _scalar(value)


def _format_number(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer():
        return str(int(number))
    # XPath never uses exponent notation: 1e-07 is '0.0000001'.
    return f"{Decimal(repr(number)):f}"


def _to_string(value: Value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than Python will print
            return _format_number(_to_number(value))
    if isinstance(value, float):
        return _format_number(value)
    return " ".join(value)


def _date_days(text: str) -> int | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        return (datetime.date.fromisoformat(text) - _EPOCH).days
    except ValueError:
        return None


def _date_time(text: str) -> datetime.datetime | None:
    """An ISO date ('2026-03-01', midnight UTC) or dateTime ('2026-03-01T10:00:00+01:00')."""
    text = text.strip()
    if _date_days(text) is not None:
        return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)
    if not _DATE_TIME_RE.fullmatch(text):
        return None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _to_number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    text = _to_string(value).strip()
    if _NUMBER_RE.fullmatch(text):
        return float(text)
    days = _date_days(text)
    if days is not None:
        return float(days)
    moment = _date_time(text)
    if moment is None:
        return math.nan
    return (moment - _EPOCH_UTC).total_seconds() / 86400


def _number_out(number: float) -> int | float:
    """Whole results as int, so a calculation shows '3' rather than '3.0'."""
    if number.is_integer() and abs(number) <= 2**53:
        return int(number)
    return number


def to_boolean(value: object) -> bool:
    """XPath boolean(): "" / None / 0 / NaN / [] are false, everything else is true."""
    value = _normalize(value)
    if isinstance(value, float):
        return value != 0 and not math.isnan(value)
    if isinstance(value, int):  # bool included
        return value != 0
    return len(value) > 0


# -- operators --------------------------------------------------------------------------------


def _flat(value: Value) -> Value:
    # XForms stores a select_multiple as 'a b c'; comparing a list compares that string.
    return " ".join(value) if isinstance(value, list) else value


def _equal(left: Value, right: Value) -> bool:
    left, right = _flat(left), _flat(right)
    if isinstance(left, int | float) or isinstance(right, int | float):
        x, y = _to_number(left), _to_number(right)
        if isinstance(left, int | float) and isinstance(right, int | float):
            return x == y
        if not math.isnan(x) and not math.isnan(y):
            return x == y
    # Not both numeric: '5' vs 'abc', or 'false' vs False, compare as written.
    return _to_string(left) == _to_string(right)


def _relational(test: Callable[[float, float], bool]) -> Callable[[Value, Value], Value]:
    # Dates become day numbers, so date ordering needs no special case; NaN compares false.
    return lambda left, right: test(_to_number(_flat(left)), _to_number(_flat(right)))


def _arithmetic(operation: Callable[[float, float], float]) -> Callable[[Value, Value], Value]:
    return lambda left, right: _number_out(operation(_to_number(left), _to_number(right)))


def _divide(x: float, y: float) -> float:
    if y == 0:
        if x == 0 or math.isnan(x):
            return math.nan
        return math.copysign(math.inf, x) * math.copysign(1.0, y)
    return x / y


def _modulo(x: float, y: float) -> float:
    # XPath mod truncates like Java's %, i.e. fmod, not Python's floor-based %.
    if y == 0 or math.isnan(y) or not math.isfinite(x):
        return math.nan
    return math.fmod(x, y)


_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "eq": _equal,
    "ne": lambda left, right: not _equal(left, right),
    "lt": _relational(lambda x, y: x < y),
    "le": _relational(lambda x, y: x <= y),
    "gt": _relational(lambda x, y: x > y),
    "ge": _relational(lambda x, y: x >= y),
    "add": _arithmetic(lambda x, y: x + y),
    "sub": _arithmetic(lambda x, y: x - y),
    "mul": _arithmetic(lambda x, y: x * y),
    "div": _arithmetic(_divide),
    "mod": _arithmetic(_modulo),
}


# -- functions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    answers: Mapping[str, object]
    current: Value
    today: datetime.date | None
    now: datetime.datetime | None = None
    choice_labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    choice: Mapping[str, str] = field(default_factory=dict)


def _choices(value: Value) -> list[str]:
    return value if isinstance(value, list) else _to_string(value).split()


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None


def _regex(text: Value, pattern: Value) -> bool:
    # ODK uses Java's Matcher.find(): a search, anchored only where the pattern says ^...$.
    compiled = _compile(_to_string(pattern))
    return compiled is not None and compiled.search(_to_string(text)) is not None


def _int(value: Value) -> int | float:
    number = _to_number(value)
    return number if not math.isfinite(number) else _number_out(float(math.trunc(number)))


def _round(value: Value, digits: Value = 0) -> int | float:
    number, places = _to_number(value), _to_number(digits)
    if not math.isfinite(number):
        return number
    if not math.isfinite(places):
        return math.nan
    try:
        exponent = Decimal(1).scaleb(-max(-400, min(400, int(places))))
        rounded = Decimal(repr(number)).quantize(exponent, rounding=ROUND_HALF_UP)
    except ArithmeticError:  # more digits than the decimal context holds: nothing to round
        return _number_out(number)
    return _number_out(float(rounded))


def _sum(*values: Value) -> int | float:
    items = [item for value in values for item in (value if isinstance(value, list) else [value])]
    return _number_out(sum((_to_number(item) for item in items), 0.0))


def _date(value: Value) -> str:
    text = _to_string(value).strip()
    if _date_days(text) is not None:
        return text
    moment = _date_time(text)
    if moment is not None:
        return moment.date().isoformat()
    number = _to_number(value)
    try:
        return (_EPOCH + datetime.timedelta(days=math.floor(number))).isoformat()
    except (ValueError, OverflowError):
        return ""


def _today(context: _Context) -> str:
    return (context.today or datetime.date.today()).isoformat()


def _now(context: _Context) -> datetime.datetime:
    return context.now or datetime.datetime.now(datetime.UTC)


def _iso_date_time(moment: datetime.datetime) -> str:
    # ODK's dateTime: milliseconds and the offset, '2026-03-01T10:00:00.000+01:00'.
    return moment.isoformat(timespec="milliseconds")


def _date_time_of(value: Value) -> str:
    """date-time(): days since 1970 (or a date) as a dateTime string, in UTC."""
    moment = _date_time(_to_string(value))
    if moment is None:
        number = _to_number(value)
        try:
            moment = _EPOCH_UTC + datetime.timedelta(days=number)
        except (ValueError, OverflowError):
            return ""
    return _iso_date_time(moment)


def _format_date(value: Value, pattern: Value, *, with_time: bool) -> str:
    """format-date() and format-date-time() with ODK's %-identifiers; '' for no date."""
    text = _to_string(value).strip()
    moment = _date_time(text)
    if moment is None and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            moment = _EPOCH_UTC + datetime.timedelta(days=float(value))
        except (ValueError, OverflowError):
            moment = None
    if moment is None:
        return ""
    fields = {
        "Y": f"{moment.year:04d}",
        "y": f"{moment.year % 100:02d}",
        "m": f"{moment.month:02d}",
        "n": str(moment.month),
        "b": _MONTHS[moment.month - 1],
        "d": f"{moment.day:02d}",
        "e": str(moment.day),
        "a": _WEEKDAYS[moment.weekday()],
    }
    if with_time:
        fields |= {
            "H": f"{moment.hour:02d}",
            "h": str(moment.hour),
            "M": f"{moment.minute:02d}",
            "S": f"{moment.second:02d}",
            "3": f"{moment.microsecond // 1000:03d}",
        }
    return re.sub(r"%(.)", lambda m: fields.get(m.group(1), m.group(0)), _to_string(pattern))


def _substr(text: Value, start: Value, end: Value | None = None) -> str:
    """substr(): 0-based start, end exclusive (ODK), negative or NaN bounds clamp."""
    string = _to_string(text)
    first = _to_number(start)
    last = len(string) if end is None else _to_number(end)
    if math.isnan(first) or math.isnan(last):
        return ""
    first, last = max(0.0, first), min(float(len(string)), last)
    return string[int(first) : int(last)] if last > first else ""


def _substring_before(text: Value, needle: Value) -> str:
    string, part = _to_string(text), _to_string(needle)
    index = string.find(part)
    return string[:index] if index >= 0 else ""


def _substring_after(text: Value, needle: Value) -> str:
    string, part = _to_string(text), _to_string(needle)
    index = string.find(part)
    return string[index + len(part) :] if index >= 0 else ""


def _translate(text: Value, source: Value, target: Value) -> str:
    # XPath translate(): characters of `source` beyond `target`'s length are removed.
    string, old, new = _to_string(text), _to_string(source), _to_string(target)
    table: dict[int, int | None] = {}
    for index, character in enumerate(old):
        table.setdefault(ord(character), ord(new[index]) if index < len(new) else None)
    return string.translate(table)


def _selected_at(value: Value, index: Value) -> str:
    items, position = _choices(value), _to_number(index)
    if math.isnan(position) or position < 0 or position >= len(items):
        return ""
    return items[int(position)]


def _extreme(pick: Callable[[list[float]], float], values: list[Value]) -> float | int:
    # XPath 3.0 min()/max(): over every item; NaN when there is none or one is no number.
    items = [item for value in values for item in (value if isinstance(value, list) else [value])]
    numbers = [_to_number(item) for item in items]
    if not numbers or any(math.isnan(number) for number in numbers):
        return math.nan
    return _number_out(pick(numbers))


def _math(operation: Callable[[float], float]) -> Callable[[_Context, list[Value]], Value]:
    def apply(context: _Context, arguments: list[Value]) -> Value:
        try:
            return _number_out(float(operation(_to_number(arguments[0]))))
        except (ValueError, OverflowError):
            return math.nan

    return apply


def _power(base: Value, exponent: Value) -> float | int:
    try:
        return _number_out(math.pow(_to_number(base), _to_number(exponent)))
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan


def _uuid(length: Value | None = None) -> str:
    if length is None:
        return str(uuid.uuid4())
    count = _to_number(length)
    if math.isnan(count) or count < 0:
        return ""
    alphabet = string_module.ascii_letters + string_module.digits
    return "".join(secrets.choice(alphabet) for _ in range(min(int(count), 10_000)))


def _join(separator: Value, values: list[Value]) -> str:
    # Each argument is one node; a select_multiple's value is its space-separated list.
    return _to_string(separator).join(_to_string(value) for value in values)


def _choice_label(context: _Context, value: Value, question: Value) -> str:
    """jr:choice-name(value, '${question}'): the label of that choice of that question."""
    reference = _to_string(question).strip()
    name = reference[2:-1] if reference.startswith("${") else reference.rsplit("/", 1)[-1]
    labels = context.choice_labels.get(name.strip(), {})
    return " ".join(labels.get(item, "") for item in _choices(value)) if labels else ""


def _boolean_from_string(value: Value) -> bool:
    return _to_string(value).strip().lower() in ("true", "1")


# name -> (fewest arguments, most arguments or None for any, implementation)
_FUNCTIONS: dict[str, tuple[int, int | None, Callable[[_Context, list[Value]], Value]]] = {
    "not": (1, 1, lambda c, a: not to_boolean(a[0])),
    "true": (0, 0, lambda c, a: True),
    "false": (0, 0, lambda c, a: False),
    "boolean": (1, 1, lambda c, a: to_boolean(a[0])),
    "string": (1, 1, lambda c, a: _to_string(a[0])),
    "number": (1, 1, lambda c, a: _number_out(_to_number(a[0]))),
    "selected": (2, 2, lambda c, a: _to_string(a[1]).strip() in _choices(a[0])),
    "count-selected": (1, 1, lambda c, a: len(_choices(a[0]))),
    "if": (3, 3, lambda c, a: a[1] if to_boolean(a[0]) else a[2]),
    "coalesce": (2, 2, lambda c, a: a[0] if _to_string(a[0]) != "" else a[1]),
    "concat": (1, None, lambda c, a: "".join(_to_string(value) for value in a)),
    "string-length": (1, 1, lambda c, a: len(_to_string(a[0]))),
    "regex": (2, 2, lambda c, a: _regex(a[0], a[1])),
    "int": (1, 1, lambda c, a: _int(a[0])),
    "round": (1, 2, lambda c, a: _round(*a)),
    "today": (0, 0, lambda c, a: _today(c)),
    "date": (1, 1, lambda c, a: _date(a[0])),
    # text
    "contains": (2, 2, lambda c, a: _to_string(a[1]) in _to_string(a[0])),
    "starts-with": (2, 2, lambda c, a: _to_string(a[0]).startswith(_to_string(a[1]))),
    "ends-with": (2, 2, lambda c, a: _to_string(a[0]).endswith(_to_string(a[1]))),
    "substr": (2, 3, lambda c, a: _substr(*a)),
    "substring-before": (2, 2, lambda c, a: _substring_before(a[0], a[1])),
    "substring-after": (2, 2, lambda c, a: _substring_after(a[0], a[1])),
    "translate": (3, 3, lambda c, a: _translate(a[0], a[1], a[2])),
    "normalize-space": (0, 1, lambda c, a: " ".join(_to_string(a[0] if a else c.current).split())),
    "uuid": (0, 1, lambda c, a: _uuid(*a)),
    "boolean-from-string": (1, 1, lambda c, a: _boolean_from_string(a[0])),
    "selected-at": (2, 2, lambda c, a: _selected_at(a[0], a[1])),
    "jr:choice-name": (2, 2, lambda c, a: _choice_label(c, a[0], a[1])),
    "once": (1, 1, lambda c, a: c.current if _to_string(c.current) != "" else a[0]),
    # numbers
    "floor": (1, 1, _math(lambda x: math.floor(x) if math.isfinite(x) else x)),
    "ceiling": (1, 1, _math(lambda x: math.ceil(x) if math.isfinite(x) else x)),
    "abs": (1, 1, _math(abs)),
    "sqrt": (1, 1, _math(math.sqrt)),
    "exp": (1, 1, _math(math.exp)),
    "exp10": (1, 1, _math(lambda x: math.pow(10, x))),
    "log": (1, 1, _math(math.log)),
    "log10": (1, 1, _math(math.log10)),
    "sin": (1, 1, _math(math.sin)),
    "cos": (1, 1, _math(math.cos)),
    "tan": (1, 1, _math(math.tan)),
    "asin": (1, 1, _math(math.asin)),
    "acos": (1, 1, _math(math.acos)),
    "atan": (1, 1, _math(math.atan)),
    "atan2": (2, 2, lambda c, a: math.atan2(_to_number(a[0]), _to_number(a[1]))),
    "pi": (0, 0, lambda c, a: math.pi),
    "pow": (2, 2, lambda c, a: _power(a[0], a[1])),
    "random": (0, 0, lambda c, a: secrets.SystemRandom().random()),
    # dates and times
    "now": (0, 0, lambda c, a: _iso_date_time(_now(c))),
    "date-time": (1, 1, lambda c, a: _date_time_of(a[0])),
    "decimal-date-time": (1, 1, lambda c, a: _number_out(_to_number(a[0]))),
    "format-date": (2, 2, lambda c, a: _format_date(a[0], a[1], with_time=False)),
    "format-date-time": (2, 2, lambda c, a: _format_date(a[0], a[1], with_time=True)),
}

# Functions over node-sets: they take a question of a repeat whole (each entry's answer),
# where the others see its first node. Same shape as `_FUNCTIONS`.
_AGGREGATES: dict[str, tuple[int, int | None, Callable[[_Context, list[Result]], Value]]] = {
    "count": (1, 1, lambda c, a: len(a[0].values) if isinstance(a[0], Nodes) else 1),
    "sum": (1, None, lambda c, a: _sum(*_items(a))),
    "min": (1, None, lambda c, a: _extreme(min, _items(a))),
    "max": (1, None, lambda c, a: _extreme(max, _items(a))),
    "join": (1, None, lambda c, a: _join(_collapse(a[0]), _items(a[1:]))),
    "count-non-empty": (0, None, lambda c, a: sum(_to_string(v) != "" for v in _items(a))),
}


# -- syntax tree ------------------------------------------------------------------------------


class _Node(Protocol):
    def evaluate(self, context: _Context) -> Result: ...


@dataclass(frozen=True, slots=True)
class _Constant:
    value: Value

    def evaluate(self, context: _Context) -> Value:
        return self.value


class EntryAnswers(Mapping[str, object]):
    """The answers an expression sees inside one entry of a repeat: the entry's own
    questions (an unanswered one is None, never an answer from around it), then the
    answers around the entry (`outer`: the enclosing entry's, or the questionnaire's)."""

    __slots__ = ("entry", "names", "outer", "position")

    def __init__(
        self,
        entry: Mapping[str, object],
        names: frozenset[str],
        outer: Mapping[str, object],
        position: int,
    ) -> None:
        self.entry = entry
        self.names = names
        self.outer = outer
        self.position = position
        """The entry's position in its repeat, from 1 (XPath's `position(..)`)."""

    def __getitem__(self, name: str) -> object:
        if name in self.names:
            return self.entry.get(name)
        return self.outer[name]

    def get(self, name: str, default: object = None) -> object:
        if name in self.names:
            return self.entry.get(name)
        return self.outer.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self.names or name in self.outer

    def __iter__(self) -> Iterator[str]:
        yield from self.names
        yield from (name for name in self.outer if name not in self.names)

    def __len__(self) -> int:
        return sum(1 for _ in self)


@dataclass(frozen=True)
class RepeatStructure:
    """What expressions need to know of a questionnaire's repeats: the repeats around
    each question of a repeat (outermost first) and the names of the repeats."""

    around: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    repeats: frozenset[str] = frozenset()


_MISSING = object()


def _entry_list(value: object) -> list[Mapping[str, object]]:
    """A repeat's answer as its entries (anything else: none)."""
    if not isinstance(value, list):
        return []
    return [entry for entry in value if isinstance(entry, Mapping)]


def _lookup(
    answers: Mapping[str, object], name: str, around: tuple[str, ...], is_repeat: bool
) -> Result:
    """`${name}` seen from `answers`: its answer where it is there (the same entry or one
    around it), else the node-set of its answers over the entries in reach."""
    value = answers.get(name, _MISSING)
    if value is not _MISSING:
        return Nodes(("",) * len(_entry_list(value))) if is_repeat else _normalize(value)
    for depth in range(len(around) - 1, -1, -1):
        value = answers.get(around[depth], _MISSING)
        if value is not _MISSING:
            entries = _entry_list(value)
            for repeat in around[depth + 1 :]:
                entries = [inner for entry in entries for inner in _entry_list(entry.get(repeat))]
            if is_repeat:
                return Nodes(tuple("" for e in entries for _ in _entry_list(e.get(name))))
            return Nodes(tuple(_normalize(entry.get(name)) for entry in entries))
    return Nodes(()) if is_repeat else ""


def _ancestor(answers: Mapping[str, object], levels: int) -> Mapping[str, object]:
    """The answers `levels` steps up (`..` is one: the entry the question is in)."""
    for _ in range(levels - 1):
        if isinstance(answers, EntryAnswers):
            answers = answers.outer
    return answers


@dataclass(frozen=True, slots=True)
class _Reference:
    name: str
    around: tuple[str, ...] = ()
    is_repeat: bool = False
    levels: int = 1
    """For a relative path (`../../x` is 2), from where it is read."""

    def evaluate(self, context: _Context) -> Result:
        answers = context.answers if self.levels == 1 else _ancestor(context.answers, self.levels)
        return _lookup(answers, self.name, self.around, self.is_repeat)


@dataclass(frozen=True, slots=True)
class _Position:
    """position(..): the entry's position in its repeat (1 outside any repeat)."""

    levels: int

    def evaluate(self, context: _Context) -> Result:
        scope = _ancestor(context.answers, self.levels)
        return scope.position if isinstance(scope, EntryAnswers) else 1


@dataclass(frozen=True, slots=True)
class _IndexedRepeat:
    """indexed-repeat(${age}, ${members}, 2[, ${jobs}, 1 ...]): the answer in that entry
    (of that entry's nested repeat ...); "" when there is no such entry."""

    name: str
    steps: tuple[tuple[str, _Node], ...]

    def evaluate(self, context: _Context) -> Result:
        scope: Mapping[str, object] = context.answers
        for repeat, index in self.steps:
            entries = _entry_list(scope.get(repeat))
            position = _to_number(_collapse(index.evaluate(context)))
            if not (1 <= position <= len(entries)) or not position.is_integer():
                return ""
            scope = entries[int(position) - 1]
        return _normalize(scope.get(self.name))


@dataclass(frozen=True, slots=True)
class _Column:
    """A bare name in a choice filter: that column of the choice being filtered."""

    name: str

    def evaluate(self, context: _Context) -> Value:
        return context.choice.get(self.name, "")


@dataclass(frozen=True, slots=True)
class _Current:
    def evaluate(self, context: _Context) -> Value:
        return context.current


@dataclass(frozen=True, slots=True)
class _Negate:
    operand: _Node

    def evaluate(self, context: _Context) -> Result:
        return _number_out(-_to_number(_collapse(self.operand.evaluate(context))))


@dataclass(frozen=True, slots=True)
class _Logical:
    is_or: bool
    left: _Node
    right: _Node

    def evaluate(self, context: _Context) -> Result:
        # Short-circuits like XPath; the result is always a boolean.
        if to_boolean(_collapse(self.left.evaluate(context))) is self.is_or:
            return self.is_or
        return to_boolean(_collapse(self.right.evaluate(context)))


# Operators and functions are kept by name, not as callables, so trees pickle and read well.
@dataclass(frozen=True, slots=True)
class _Binary:
    operator: str
    left: _Node
    right: _Node

    def evaluate(self, context: _Context) -> Result:
        operation = _BINARY[self.operator]
        return operation(
            _collapse(self.left.evaluate(context)), _collapse(self.right.evaluate(context))
        )


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    arguments: tuple[_Node, ...]

    def evaluate(self, context: _Context) -> Result:
        function = _FUNCTIONS[self.name][2]
        values = [_collapse(argument.evaluate(context)) for argument in self.arguments]
        return function(context, values)


@dataclass(frozen=True, slots=True)
class _Aggregate:
    name: str
    arguments: tuple[_Node, ...]

    def evaluate(self, context: _Context) -> Result:
        function = _AGGREGATES[self.name][2]
        return function(context, [argument.evaluate(context) for argument in self.arguments])


_PATH = re.compile(r"(?:current\(\)/)?((?:\.\./)*\.\.)(?:/(.+))?")


@dataclass
class _Builder:
    """Turns lark's tree into evaluable nodes, checking functions and their arity.

    A reference to a name in `own` is the current answer (`.`). Bare names are choice
    columns, collected in `columns`; None: they are not allowed (not a choice filter).
    `bare` collects the references made outside aggregate functions (`count()`, ...) and
    `indexed-repeat()`: from outside a repeat, only those may not name its questions.
    """

    own: frozenset[str]
    columns: set[str] | None
    repeats: RepeatStructure
    references: set[str] = field(default_factory=set)
    bare: set[str] = field(default_factory=set)

    def reference(self, name: str, *, aggregated: bool, levels: int = 1) -> _Node:
        if name in self.own:
            return _Current()
        self.references.add(name)
        if not aggregated:
            self.bare.add(name)
        around = self.repeats.around.get(name, ())
        return _Reference(name, around, name in self.repeats.repeats, levels)

    def build(self, node: Tree[Token] | Token, depth: int = 0, aggregated: bool = False) -> _Node:
        if depth > _MAX_DEPTH:
            raise ExpressionError("expression is nested too deeply")
        assert isinstance(node, Tree)
        kind, children = str(node.data), node.children

        def child(index: int) -> _Node:
            return self.build(children[index], depth + 1, aggregated)

        if kind == "ref":
            return self.reference(str(children[0])[2:-1], aggregated=aggregated)
        if kind == "path":
            token = children[0]
            assert isinstance(token, Token)
            match = _PATH.fullmatch(str(token))
            assert match is not None
            if match.group(2) is None:
                position = token.start_pos
                message = f"'..' at position {position} is only possible in position(..)"
                raise ExpressionError(message, position)
            levels = match.group(1).count("..")
            return self.reference(match.group(2), aggregated=aggregated, levels=levels)
        if kind == "current":
            return _Current()
        if kind == "column":
            token = children[0]
            assert isinstance(token, Token)
            if self.columns is None:
                # A bare name: almost always a question written as `age` instead of `${age}`.
                end = (token.start_pos or 0) + len(token)
                message = f"expected '(' at position {end}; refer to questions as ${{name}}"
                raise ExpressionError(message, end)
            self.columns.add(str(token))
            return _Column(str(token))
        if kind == "number":
            return _Constant(_number_out(float(str(children[0]))))
        if kind == "string":
            return _Constant(str(children[0])[1:-1])
        if kind == "neg":
            return _Negate(child(0))
        if kind in ("or_op", "and_op"):
            return _Logical(kind == "or_op", child(0), child(1))
        if kind in _BINARY:
            return _Binary(kind, child(0), child(1))
        assert kind == "call", kind
        return self.call(children, depth)

    def call(self, children: list[Tree[Token] | Token], depth: int) -> _Node:
        name_token = children[0]
        assert isinstance(name_token, Token)
        name, position = str(name_token), name_token.start_pos
        arguments = children[1:]
        if name == "position":
            return self.position(arguments, position)
        if name == "indexed-repeat":
            return self.indexed_repeat(arguments, position, depth)
        signature = _FUNCTIONS.get(name) or _AGGREGATES.get(name)
        if signature is None:
            raise ExpressionError(f"unknown function '{name}' at position {position}", position)
        fewest, most, _ = signature
        if len(arguments) < fewest or (most is not None and len(arguments) > most):
            expected = str(fewest) if fewest == most else f"at least {fewest}"
            if most is not None and most != fewest:
                expected = f"{fewest} to {most}"
            message = f"{name}() takes {expected} argument(s), got {len(arguments)}"
            raise ExpressionError(message, position)
        aggregated = name in _AGGREGATES
        built = tuple(self.build(argument, depth + 1, aggregated) for argument in arguments)
        pattern = built[1] if name == "regex" else None
        if isinstance(pattern, _Constant) and _compile(_to_string(pattern.value)) is None:
            raise ExpressionError(f"invalid regular expression {pattern.value!r}", position)
        return _Aggregate(name, built) if aggregated else _Call(name, built)

    def position(self, arguments: list[Tree[Token] | Token], position: int | None) -> _Node:
        """position(..), position(../..): of the entry the question is in, or around it."""
        argument = arguments[0] if len(arguments) == 1 else None
        match = None
        if isinstance(argument, Tree) and str(argument.data) == "path":
            match = _PATH.fullmatch(str(argument.children[0]))
        if match is None or match.group(2) is not None:
            message = f"position() takes '..' (the entry of a repeat), at position {position}"
            raise ExpressionError(message, position)
        return _Position(match.group(1).count(".."))

    def indexed_repeat(
        self, arguments: list[Tree[Token] | Token], position: int | None, depth: int
    ) -> _Node:
        """indexed-repeat(${q}, ${repeat}, index[, ${nested repeat}, index ...])."""
        names = [_reference_name(argument) for argument in (arguments[0], *arguments[1::2])]
        if len(arguments) not in (3, 5, 7) or None in names:
            message = (
                "indexed-repeat() takes a question, then a repeat and a position "
                f"(up to three times), at position {position}"
            )
            raise ExpressionError(message, position)
        target, *repeats = [name for name in names if name is not None]
        for name in (target, *repeats):
            self.reference(name, aggregated=True)
        indexes = [self.build(argument, depth + 1) for argument in arguments[2::2]]
        return _IndexedRepeat(target, tuple(zip(repeats, indexes, strict=True)))


def _reference_name(node: Tree[Token] | Token) -> str | None:
    """The question a `${name}` argument names (None for anything else)."""
    if isinstance(node, Tree) and str(node.data) == "ref":
        return str(node.children[0])[2:-1]
    return None


def _syntax_error(source: str, error: UnexpectedInput) -> ExpressionError:
    if isinstance(error, UnexpectedToken):
        at_end = error.token.type == "$END"
        position = len(source) if at_end else (error.token.start_pos or 0)
        if error.expected == {"LPAR"}:
            # A bare name: almost always a question written as `age` instead of `${age}`.
            message = f"expected '(' at position {position}; refer to questions as ${{name}}"
        elif at_end:
            message = "empty expression" if not source.strip() else "unexpected end of expression"
        else:
            message = f"unexpected {error.token.value!r} at position {position}"
        return ExpressionError(message, position)
    if isinstance(error, UnexpectedCharacters):
        position = error.pos_in_stream or 0
        return ExpressionError(f"unexpected {source[position]!r} at position {position}", position)
    return ExpressionError("syntax error")


# -- public interface -------------------------------------------------------------------------


@dataclass(frozen=True)
class Expression:
    """A parsed expression; evaluate it as often as needed against answers."""

    source: str
    references: frozenset[str]
    _root: _Node = field(repr=False, compare=False)
    columns: frozenset[str] = frozenset()
    """The choice columns a choice filter names (`name` among them when it does)."""
    _choice_labels: Mapping[str, Mapping[str, str]] = field(
        default_factory=dict, repr=False, compare=False
    )
    bare_references: frozenset[str] = frozenset()
    """The references outside `count()`, `sum()`, `min()`, `max()`, `join()`,
    `count-non-empty()` and `indexed-repeat()`: read as one answer, not over entries."""

    def evaluate(
        self,
        answers: Mapping[str, object],
        *,
        current: object = None,
        today: datetime.date | None = None,
        choice: Mapping[str, str] | None = None,
    ) -> object:
        """The value (str, int, float, bool or list[str]); `current` is `.`, `choice` the
        columns of the choice a choice filter is evaluated for. Never raises."""
        context = _Context(
            answers, _normalize(current), today, None, self._choice_labels, choice or {}
        )
        return _collapse(self._root.evaluate(context))

    def is_true(
        self,
        answers: Mapping[str, object],
        *,
        current: object = None,
        today: datetime.date | None = None,
        choice: Mapping[str, str] | None = None,
    ) -> bool:
        """evaluate() then XPath boolean(): how `relevant`, `constraint` and
        `choice_filter` are read."""
        return to_boolean(self.evaluate(answers, current=current, today=today, choice=choice))


SELF = "self"
"""`${self}` in a question's own constraint: the answer being checked, like `.`."""


def parse_expression(
    source: str,
    *,
    current: str | None = None,
    choice_labels: Mapping[str, Mapping[str, str]] | None = None,
    choice_filter: bool = False,
    repeats: RepeatStructure | None = None,
) -> Expression:
    """Parse `source` once, at questionnaire load time; raises ExpressionError.

    `choice_filter`: the expression is a select question's `choice_filter`, evaluated
    once per choice as XLSForm does: a bare name (`state`) is that column of the choice
    (`name` its name), `${q}` the answer to q, as everywhere.

    `current` names the question whose own constraint this is: there `${current}` and
    `${self}` mean the answer being checked, as `.` does (ODK resolves `${age}` in the
    constraint of `age` to the node being validated). They are then no references: a
    check of the answers given so far would otherwise see the question unanswered.

    `repeats` tells which questions are in repeats, so that a reference from outside
    reads a question over all entries (`sum(${age})`); evaluate inside an entry with
    `EntryAnswers`.
    """
    try:
        tree = _PARSER.parse(source)
    except UnexpectedInput as error:
        raise _syntax_error(source, error) from None
    own = frozenset() if current is None else frozenset({current, SELF})
    builder = _Builder(own, set() if choice_filter else None, repeats or RepeatStructure())
    root = builder.build(tree)
    return Expression(
        source,
        frozenset(builder.references),
        root,
        columns=frozenset(builder.columns or ()),
        _choice_labels=choice_labels or {},
        bare_references=frozenset(builder.bare),
    )


# -- what an expression tells of answers ------------------------------------------------------


@dataclass(frozen=True)
class AnswerCondition:
    """What a true expression tells of one question's answer (a question of the pages,
    read as one answer).

    `test` is "in": the answer as a string is one of `values` ("" = unanswered, as an
    expression sees it); "not in": it is none of them (so an unanswered question passes
    unless "" is among them); "selected": `selected()` finds the one choice in `values`
    among the answer's space-separated names (a ticked choice of a `select_multiple`, the
    answer itself of a `select_one`)."""

    question: str
    test: Literal["in", "not in", "selected"]
    values: frozenset[str]


@dataclass(frozen=True)
class AnswerConditions:
    """Conditions that each hold wherever the expression is true. `complete`: the
    expression is exactly their conjunction (true wherever all of them hold), not only
    implied by it."""

    conditions: tuple[AnswerCondition, ...] = ()
    complete: bool = False


def answer_conditions(expression: Expression) -> AnswerConditions:
    """The conditions on single answers that `expression` (a `relevant`) implies, read
    from its tree: `${q} = 'c'` (either side), `${q} != 'c'`, `selected(${q}, 'c')`, an
    `or` of comparisons `=` / `!=` of one question, and an `and` of any of these (each side
    its own condition). Any other part (numbers, functions, `count-selected()`, an `or`
    over two questions, questions of repeats) tells nothing here and is left out, so
    that no condition is ever one the expression does not imply."""
    conditions: list[AnswerCondition] = []
    complete = True
    for conjunct in _conjuncts(expression._root):
        condition = _condition(conjunct)
        if condition is None:
            complete = False
        else:
            conditions.append(condition)
    return AnswerConditions(tuple(conditions), complete)


def _conjuncts(node: _Node) -> Iterator[_Node]:
    if isinstance(node, _Logical) and not node.is_or:
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _condition(node: _Node) -> AnswerCondition | None:
    if isinstance(node, _Logical):
        if not node.is_or:  # an `and` within an `or`: the or of ands is no single condition
            return None
        left, right = _condition(node.left), _condition(node.right)
        if left is None or right is None or left.question != right.question:
            return None
        return _union(left, right)
    if isinstance(node, _Binary) and node.operator in ("eq", "ne"):
        compared = _compared(node.left, node.right) or _compared(node.right, node.left)
        if compared is None:
            return None
        name, value = compared
        return AnswerCondition(
            name, "in" if node.operator == "eq" else "not in", frozenset({value})
        )
    if isinstance(node, _Call) and node.name == "selected":
        answer, choice = node.arguments
        ticked = _plain_reference(answer)
        if ticked is None or not isinstance(choice, _Constant) or not isinstance(choice.value, str):
            return None
        return AnswerCondition(ticked, "selected", frozenset({choice.value.strip()}))
    return None


def _compared(reference: _Node, constant: _Node) -> tuple[str, str] | None:
    """(question, text) of `${question} = 'text'`; None where a number is compared (an
    answer "1.0" equals 1, so a number stands for more than one answer)."""
    name = _plain_reference(reference)
    if name is None or not isinstance(constant, _Constant):
        return None
    if not isinstance(constant.value, str):
        return None
    return name, constant.value


def _plain_reference(node: _Node) -> str | None:
    """The question `${name}` reads as one answer: none of a repeat, none read from an
    entry (there the answer depends on the entry)."""
    if isinstance(node, _Reference) and not node.around and not node.is_repeat and node.levels == 1:
        return node.name
    return None


def _union(left: AnswerCondition, right: AnswerCondition) -> AnswerCondition | None:
    """Either condition on one question, where that is again one condition: a ticked
    choice is left out (either of two ticks is no count of the plan)."""
    if "selected" in (left.test, right.test):
        return None
    if left.test == right.test == "in":
        return AnswerCondition(left.question, "in", left.values | right.values)
    if left.test == right.test == "not in":
        return AnswerCondition(left.question, "not in", left.values & right.values)
    among, other = (left, right) if left.test == "in" else (right, left)
    return AnswerCondition(left.question, "not in", other.values - among.values)
