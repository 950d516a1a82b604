"""A questionnaire written as a YAML file in the format of questionnaires/README.md."""

from __future__ import annotations

import yaml

from survey_app.questionnaire.schema import Questionnaire


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists; texts with line breaks as `|` blocks."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)

# Shown even at their defaults, because people deciding on a survey look for them.
_ALWAYS_WRITTEN = ("version", "min_cell", "audience")


def questionnaire_yaml(questionnaire: Questionnaire, *, comment: str = "") -> str:
    """The questionnaire as a YAML file in the format of questionnaires/README.md."""
    definition = questionnaire.to_definition()
    full = questionnaire.model_dump(mode="json")
    ordered = {
        key: definition[key] if key in definition else full[key]
        for key in Questionnaire.model_fields
        if key in definition or key in _ALWAYS_WRITTEN
    }
    if questionnaire.retention:
        ordered["retention"] = questionnaire.retention  # written as a date, not a string
    text = yaml.dump(
        ordered,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10_000,
    )
    header = "".join(f"# {line}\n" if line else "#\n" for line in comment.splitlines())
    return header + text
