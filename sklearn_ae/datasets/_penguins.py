"""palmerpenguins, as a DataFrame with categorical, numeric and missing cells."""

from pathlib import Path

_FILE = Path(__file__).parent / "data" / "penguins.csv"


def load_penguins():
    """Load the Palmer penguins table (Gorman, Williams & Fraser 2014; CC0).

    344 penguins of three species on three islands of the Palmer Archipelago,
    Antarctica, 2007-2009: ``species``, ``island`` and ``sex`` (text,
    categorical), ``bill_length_mm``, ``bill_depth_mm``,
    ``flipper_length_mm``, ``body_mass_g`` (float) and ``year`` (int); 19
    cells are missing. A mixed table as users bring them, small enough for
    examples and tests. Needs pandas.

    Returns
    -------
    penguins : pandas.DataFrame of shape (344, 8)
        Text columns as pandas reads them (``object`` or ``str``), empty
        cells missing.

    References
    ----------
    .. [1] K. B. Gorman, T. D. Williams and W. R. Fraser, "Ecological sexual
       dimorphism and environmental variability within a community of
       Antarctic penguins (genus Pygoscelis)", PLoS ONE 9(3), e90081, 2014.
    """
    try:
        import pandas as pd
    except ImportError as error:
        raise ImportError(
            "load_penguins returns a pandas DataFrame; install pandas (pip install pandas)."
        ) from error
    return pd.read_csv(_FILE)
