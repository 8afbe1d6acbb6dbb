"""Type information for DataStream values, mirroring ``pyflink.common.typeinfo``.

Besides the public PyFlink surface (``Types`` and the ``*TypeInfo`` classes), every
``TypeInformation`` implements two internal methods the runtime relies on:

* ``_check_spec()`` returns a structural description (nested tuples of ``str``/``list``/``tuple``)
  that the runtime uses to validate values produced by a function declared with this type:
  ``("string",)``, ``("int",)``, ``("long",)``, ``("short",)``, ``("byte",)``, ``("boolean",)``,
  ``("float",)``, ``("double",)``, ``("char",)``, ``("big_int",)``, ``("big_dec",)``, ``("any",)``,
  ``("tuple", [spec, ...])``, ``("row", [spec, ...])``, ``("list", spec)``,
  ``("map", key_spec, value_spec)``.
* ``_java_str(value)`` renders a value of this type the way Java's ``toString`` prints it in
  Flink (what ``DataStream.print()`` shows when an output type is declared); ``None`` is ``null``.
"""

from typing import List

from ._typeinfo_basic import (BasicType, BasicTypeInfo, InstantTypeInfo, LocalTimeTypeInfo,
                              PickledBytesTypeInfo, SqlTimeTypeInfo, TypeInformation)
from ._typeinfo_composite import (BasicArrayTypeInfo, ListTypeInfo, MapTypeInfo,
                                  ObjectArrayTypeInfo, PrimitiveArrayTypeInfo, RowTypeInfo,
                                  TupleTypeInfo)

__all__ = [
    "TypeInformation",
    "BasicType",
    "BasicTypeInfo",
    "InstantTypeInfo",
    "SqlTimeTypeInfo",
    "LocalTimeTypeInfo",
    "PrimitiveArrayTypeInfo",
    "BasicArrayTypeInfo",
    "ObjectArrayTypeInfo",
    "ListTypeInfo",
    "MapTypeInfo",
    "TupleTypeInfo",
    "RowTypeInfo",
    "PickledBytesTypeInfo",
    "Types",
]


# --------------------------------------------------------------------------------------------
# Types: the factory users call
# --------------------------------------------------------------------------------------------

class Types(object):
    """Factory of type informations: ``Types.INT()``, ``Types.TUPLE([Types.STRING(), ...])``..."""

    @staticmethod
    def STRING() -> TypeInformation:
        return BasicTypeInfo.STRING_TYPE_INFO()

    @staticmethod
    def BYTE() -> TypeInformation:
        return BasicTypeInfo.BYTE_TYPE_INFO()

    @staticmethod
    def BOOLEAN() -> TypeInformation:
        return BasicTypeInfo.BOOLEAN_TYPE_INFO()

    @staticmethod
    def SHORT() -> TypeInformation:
        return BasicTypeInfo.SHORT_TYPE_INFO()

    @staticmethod
    def INT() -> TypeInformation:
        return BasicTypeInfo.INT_TYPE_INFO()

    @staticmethod
    def LONG() -> TypeInformation:
        return BasicTypeInfo.LONG_TYPE_INFO()

    @staticmethod
    def FLOAT() -> TypeInformation:
        return BasicTypeInfo.FLOAT_TYPE_INFO()

    @staticmethod
    def DOUBLE() -> TypeInformation:
        return BasicTypeInfo.DOUBLE_TYPE_INFO()

    @staticmethod
    def CHAR() -> TypeInformation:
        return BasicTypeInfo.CHAR_TYPE_INFO()

    @staticmethod
    def BIG_INT() -> TypeInformation:
        return BasicTypeInfo.BIG_INT_TYPE_INFO()

    @staticmethod
    def BIG_DEC() -> TypeInformation:
        return BasicTypeInfo.BIG_DEC_TYPE_INFO()

    @staticmethod
    def INSTANT() -> TypeInformation:
        return InstantTypeInfo()

    @staticmethod
    def SQL_DATE() -> TypeInformation:
        return SqlTimeTypeInfo.DATE()

    @staticmethod
    def SQL_TIME() -> TypeInformation:
        return SqlTimeTypeInfo.TIME()

    @staticmethod
    def SQL_TIMESTAMP() -> TypeInformation:
        return SqlTimeTypeInfo.TIMESTAMP()

    @staticmethod
    def LOCAL_DATE() -> TypeInformation:
        return LocalTimeTypeInfo("LOCAL_DATE")

    @staticmethod
    def LOCAL_TIME() -> TypeInformation:
        return LocalTimeTypeInfo("LOCAL_TIME")

    @staticmethod
    def LOCAL_DATE_TIME() -> TypeInformation:
        return LocalTimeTypeInfo("LOCAL_DATE_TIME")

    @staticmethod
    def PICKLED_BYTE_ARRAY() -> TypeInformation:
        return PickledBytesTypeInfo()

    @staticmethod
    def TUPLE(types: List[TypeInformation]) -> TypeInformation:
        return TupleTypeInfo(types)

    @staticmethod
    def ROW(types: List[TypeInformation]) -> TypeInformation:
        return RowTypeInfo(types)

    @staticmethod
    def ROW_NAMED(names: List[str], types: List[TypeInformation]) -> TypeInformation:
        return RowTypeInfo(types, names)

    @staticmethod
    def MAP(key_type_info: TypeInformation, value_type_info: TypeInformation) -> TypeInformation:
        return MapTypeInfo(key_type_info, value_type_info)

    @staticmethod
    def LIST(element_type_info: TypeInformation) -> TypeInformation:
        return ListTypeInfo(element_type_info)

    @staticmethod
    def PRIMITIVE_ARRAY(element_type: TypeInformation) -> TypeInformation:
        return PrimitiveArrayTypeInfo(element_type)

    @staticmethod
    def BASIC_ARRAY(element_type: TypeInformation) -> TypeInformation:
        return BasicArrayTypeInfo(element_type)

    @staticmethod
    def OBJECT_ARRAY(element_type: TypeInformation) -> TypeInformation:
        return ObjectArrayTypeInfo(element_type)
