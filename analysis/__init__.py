"""Stored responses turned into results: frames, summaries, suppression, breakdowns, exports.

A pure package: it knows questionnaires and pandas, never HTTP or the database. What
leaves it for templates and JSON are plain frozen data classes, never a DataFrame.
"""
