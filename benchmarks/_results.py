"""Where the stored results live and how their values print: shared by the
benchmark scripts (``_common``) and the report that draws them (``report``),
so that neither imports the other's way back."""

from pathlib import Path

RESULTS_FILE = Path(__file__).with_name("results.json")


def format_value(value, fmt):
    return "-" if value is None else fmt.format(value)


def format_row(row, formats):
    return [format_value(value, fmt) for value, fmt in zip(row, formats, strict=True)]
