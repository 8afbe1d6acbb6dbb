"""The pandas side of pandas UDFs: the engine hands a batch's columns over as ``pyarrow`` arrays
(shared through the Arrow C data interface); these helpers turn them into ``pandas.Series``,
call the user's function and turn its result back into one ``pyarrow.Array``."""

from typing import Any, Callable, Tuple


def pandas_modules(what: str) -> Tuple[Any, Any]:
    """``(pandas, pyarrow)``, or an ImportError saying that ``what`` needs them."""
    try:
        import pandas
        import pyarrow
    except ImportError as e:
        raise ImportError("%s needs pandas and pyarrow, which are optional dependencies of oxflow: "
                          "pip install pandas pyarrow (%s)" % (what, e)) from e
    return pandas, pyarrow


def scalar_caller(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """What the engine calls per batch for a pandas scalar UDF: ``(rows, result arrow type,
    *arrow arrays) -> arrow array``; the function must return as many values as there are rows."""
    pd, pa = pandas_modules("the pandas UDF %s" % name)

    def call(rows: int, arrow_type: Any, *arrays: Any) -> Any:
        result = func(*[a.to_pandas() for a in arrays])
        if isinstance(result, pa.ChunkedArray):
            result = result.combine_chunks()
        try:
            if isinstance(result, pa.Array):
                array = result
            elif isinstance(result, pd.Series):
                array = pa.Array.from_pandas(result, type=arrow_type)
            else:
                array = pa.array(result, type=arrow_type, from_pandas=True)
        except (TypeError, ValueError, pa.ArrowException) as e:
            raise TypeError("the pandas UDF %s returned %s, which does not convert to %s: %s"
                            % (name, type(result).__name__, arrow_type, e)) from e
        if len(array) != rows:
            raise ValueError("the pandas UDF %s returned %d values for a batch of %d rows; it must "
                             "return one value per row" % (name, len(array), rows))
        return array

    return call


def aggregate_caller(func: Callable[..., Any], name: str) -> Callable[..., Any]:
    """What the engine calls for a pandas aggregate: ``(*arrow arrays) -> value``."""
    pandas_modules("the pandas aggregate function %s" % name)
    import numpy

    def call(*arrays: Any) -> Any:
        result = func(*[a.to_pandas() for a in arrays])
        if isinstance(result, numpy.generic):
            result = result.item()
        return result

    return call
