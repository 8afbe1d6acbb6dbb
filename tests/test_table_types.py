"""Table data types print and parse as Flink SQL types; Schema and TableDescriptor give DDL."""

from typing import Any

import pytest

from oxflow.table.expressions import col, lit
from oxflow.table.types import (ArrayType, BigIntType, DataTypes, DayTimeIntervalType,
                                DecimalType, FormatDescriptor, IntType, LocalZonedTimestampType,
                                MapType, RowField, RowType, Schema, TableDescriptor,
                                TimestampType, VarCharType, YearMonthIntervalType, _from_sql,
                                _quote_path)

ROW_AB = DataTypes.ROW([DataTypes.FIELD("a", DataTypes.INT()),
                        DataTypes.FIELD("b", DataTypes.STRING())])


@pytest.mark.parametrize("data_type, expected", [
    (DataTypes.TINYINT(), "TINYINT"),
    (DataTypes.SMALLINT(), "SMALLINT"),
    (DataTypes.INT(), "INT"),
    (DataTypes.BIGINT(), "BIGINT"),
    (DataTypes.BIGINT(nullable=False), "BIGINT NOT NULL"),
    (DataTypes.BIGINT().not_null(), "BIGINT NOT NULL"),
    (DataTypes.FLOAT(), "FLOAT"),
    (DataTypes.DOUBLE(), "DOUBLE"),
    (DataTypes.DECIMAL(10, 2), "DECIMAL(10, 2)"),
    (DataTypes.BOOLEAN(), "BOOLEAN"),
    (DataTypes.STRING(), "STRING"),
    (DataTypes.CHAR(5), "CHAR(5)"),
    (DataTypes.VARCHAR(20), "VARCHAR(20)"),
    (DataTypes.VARCHAR(2147483647), "STRING"),
    (DataTypes.BYTES(), "BYTES"),
    (DataTypes.BINARY(4), "BINARY(4)"),
    (DataTypes.VARBINARY(8), "VARBINARY(8)"),
    (DataTypes.DATE(), "DATE"),
    (DataTypes.TIME(), "TIME(0)"),
    (DataTypes.TIME(3), "TIME(3)"),
    (DataTypes.TIMESTAMP(), "TIMESTAMP(6)"),
    (DataTypes.TIMESTAMP(3), "TIMESTAMP(3)"),
    (DataTypes.TIMESTAMP_LTZ(3), "TIMESTAMP_LTZ(3)"),
    (DataTypes.TIMESTAMP_LTZ(), "TIMESTAMP_LTZ(6)"),
    (DataTypes.LOCAL_ZONED_TIMESTAMP(3), "TIMESTAMP_LTZ(3)"),
    (DataTypes.INTERVAL(DataTypes.SECOND(3)), "INTERVAL SECOND(3)"),
    (DataTypes.INTERVAL(DataTypes.DAY(), DataTypes.SECOND(3)), "INTERVAL DAY(2) TO SECOND(3)"),
    (DataTypes.INTERVAL(DataTypes.HOUR(), DataTypes.MINUTE()), "INTERVAL HOUR TO MINUTE"),
    (DataTypes.INTERVAL(DataTypes.MINUTE()), "INTERVAL MINUTE"),
    (DataTypes.INTERVAL(DataTypes.YEAR(4), DataTypes.MONTH()), "INTERVAL YEAR(4) TO MONTH"),
    (DataTypes.INTERVAL(DataTypes.MONTH()), "INTERVAL MONTH"),
    (DataTypes.ARRAY(DataTypes.INT()), "ARRAY<INT>"),
    (DataTypes.ARRAY(DataTypes.INT().not_null()).not_null(), "ARRAY<INT NOT NULL> NOT NULL"),
    (DataTypes.MAP(DataTypes.STRING(), DataTypes.INT()), "MAP<STRING, INT>"),
    (DataTypes.MULTISET(DataTypes.STRING()), "MULTISET<STRING>"),
    (ROW_AB, "ROW<`a` INT, `b` STRING>"),
    (DataTypes.ROW([DataTypes.FIELD("x", DataTypes.BIGINT().not_null(), "the key")]),
     "ROW<`x` BIGINT NOT NULL 'the key'>"),
    (DataTypes.ROW([]), "ROW<>"),
    (DataTypes.NULL(), "NULL"),
])
def test_data_types_print_as_flink(data_type: Any, expected: str) -> None:
    assert str(data_type) == expected
    assert data_type.to_sql() == expected
    assert _from_sql(expected) == data_type


@pytest.mark.parametrize("text, expected", [
    ("bigint", DataTypes.BIGINT()),
    ("INTEGER", DataTypes.INT()),
    ("INT NOT NULL", DataTypes.INT().not_null()),
    ("INT NULL", DataTypes.INT()),
    ("VARCHAR", DataTypes.VARCHAR(1)),
    ("CHAR", DataTypes.CHAR(1)),
    ("CHARACTER VARYING(3)", DataTypes.VARCHAR(3)),
    ("DECIMAL", DataTypes.DECIMAL(10, 0)),
    ("NUMERIC(5)", DataTypes.DECIMAL(5, 0)),
    ("DEC(5, 1)", DataTypes.DECIMAL(5, 1)),
    ("DOUBLE PRECISION", DataTypes.DOUBLE()),
    ("REAL", DataTypes.FLOAT()),
    ("TIMESTAMP", DataTypes.TIMESTAMP(6)),
    ("TIMESTAMP(3) WITHOUT TIME ZONE", DataTypes.TIMESTAMP(3)),
    ("TIMESTAMP(3) WITH LOCAL TIME ZONE", DataTypes.TIMESTAMP_LTZ(3)),
    ("TIME", DataTypes.TIME(0)),
    ("ROW<a INT, b STRING>", ROW_AB),
    ("ROW(a INT, b STRING)", ROW_AB),
    ("row<`a` int, \"b\" string>", ROW_AB),
    ("ROW<`we``ird` INT>", DataTypes.ROW([DataTypes.FIELD("we`ird", DataTypes.INT())])),
    ("ROW<a INT 'it''s a'>", DataTypes.ROW([DataTypes.FIELD("a", DataTypes.INT(), "it's a")])),
    ("INT ARRAY", DataTypes.ARRAY(DataTypes.INT())),
    ("ARRAY<ROW<a INT, b STRING>>", DataTypes.ARRAY(ROW_AB)),
    ("MAP<STRING, ARRAY<BIGINT NOT NULL>> NOT NULL",
     DataTypes.MAP(DataTypes.STRING(), DataTypes.ARRAY(DataTypes.BIGINT().not_null())).not_null()),
    ("INTERVAL DAY TO SECOND", DataTypes.INTERVAL(DataTypes.DAY(), DataTypes.SECOND())),
])
def test_parse_type_strings(text: str, expected: Any) -> None:
    assert _from_sql(text) == expected


@pytest.mark.parametrize("text", ["", "FOO", "DECIMAL(", "ROW<a>", "INT INT", "MAP<INT>",
                                  "DECIMAL(50, 2)", "TIMESTAMP(12)"])
def test_parse_errors(text: str) -> None:
    with pytest.raises(ValueError):
        _from_sql(text)


def test_type_classes_and_attributes() -> None:
    assert isinstance(DataTypes.BIGINT(), BigIntType)
    assert isinstance(DataTypes.STRING(), VarCharType)
    assert DataTypes.STRING().length == 2147483647
    d = DataTypes.DECIMAL(12, 3)
    assert isinstance(d, DecimalType) and (d.precision, d.scale) == (12, 3)
    assert isinstance(DataTypes.TIMESTAMP(3), TimestampType)
    assert DataTypes.TIMESTAMP(3).precision == 3
    assert isinstance(DataTypes.TIMESTAMP_LTZ(3), LocalZonedTimestampType)
    assert isinstance(DataTypes.INTERVAL(DataTypes.SECOND()), DayTimeIntervalType)
    assert isinstance(DataTypes.INTERVAL(DataTypes.YEAR()), YearMonthIntervalType)
    a = DataTypes.ARRAY(DataTypes.INT())
    assert isinstance(a, ArrayType) and a.element_type == DataTypes.INT()
    m = DataTypes.MAP(DataTypes.STRING(), DataTypes.INT())
    assert isinstance(m, MapType) and m.key_type == DataTypes.STRING()
    assert isinstance(ROW_AB, RowType)
    assert ROW_AB.field_names() == ["a", "b"]
    assert ROW_AB.names == ["a", "b"]
    assert ROW_AB.field_types() == [DataTypes.INT(), DataTypes.STRING()]
    assert isinstance(ROW_AB.fields[0], RowField) and ROW_AB.fields[0].name == "a"
    assert ROW_AB["b"].data_type == DataTypes.STRING()
    assert len(ROW_AB) == 2 and [f.name for f in ROW_AB] == ["a", "b"]


def test_nullability_equality_and_hashing() -> None:
    assert DataTypes.INT() == DataTypes.INT()
    assert DataTypes.INT() != DataTypes.INT().not_null()
    assert DataTypes.INT().not_null().nullable() == DataTypes.INT()
    assert DataTypes.INT() != DataTypes.BIGINT()
    assert DataTypes.DECIMAL(10, 2) != DataTypes.DECIMAL(10, 3)
    assert len({DataTypes.INT(), DataTypes.INT(), DataTypes.INT(False)}) == 2
    assert DataTypes.INT(nullable=False)._nullable is False
    original = DataTypes.BIGINT()
    original.not_null()
    assert original._nullable is True  # not_null returns a copy
    assert hash(ROW_AB) == hash(_from_sql("ROW<a INT, b STRING>"))
    with pytest.raises(ValueError):
        DataTypes.NULL().not_null()


def test_row_type_add() -> None:
    r = DataTypes.ROW().add("a", DataTypes.INT()).add(RowField("b", DataTypes.STRING()))
    assert r == ROW_AB
    assert IntType() == DataTypes.INT()


def test_quote_path() -> None:
    assert _quote_path("t") == "`t`"
    assert _quote_path("cat.db.t") == "`cat`.`db`.`t`"
    assert _quote_path("`my.table`") == "`my.table`"
    assert _quote_path("db.`a``b`") == "`db`.`a``b`"
    with pytest.raises(ValueError):
        _quote_path("db.")


# ---- Schema -----------------------------------------------------------------------------------


def test_schema_ddl_columns() -> None:
    schema = (Schema.new_builder()
              .column("a", DataTypes.BIGINT())
              .column("ts", DataTypes.TIMESTAMP(3))
              .watermark("ts", "ts - INTERVAL '5' SECOND")
              .primary_key("a")
              .build())
    assert schema._to_ddl_columns() == ("`a` BIGINT, `ts` TIMESTAMP(3), WATERMARK FOR `ts` AS "
                                        "ts - INTERVAL '5' SECOND, PRIMARY KEY (`a`) NOT ENFORCED")


def test_schema_with_every_kind_of_column() -> None:
    schema = (Schema.new_builder()
              .column("id", "BIGINT NOT NULL").with_comment("the id")
              .column("name", "string")
              .column("payload", "RAW('x', 'y')")
              .column_by_expression("upper_name", "UPPER(name)")
              .column_by_expression("cost", col("price") * 2)
              .column_by_metadata("kafka_ts", DataTypes.TIMESTAMP_LTZ(3), "timestamp", True)
              .column_by_metadata("part", DataTypes.INT())
              .column("ts", DataTypes.TIMESTAMP(3))
              .watermark("ts", col("ts") - lit(5).seconds)
              .primary_key_named("pk", "id", "name")
              .build())
    assert schema._to_ddl_columns().split(", `")[0] == "`id` BIGINT NOT NULL COMMENT 'the id'"
    assert str(schema) == "\n".join([
        "(",
        "  `id` BIGINT NOT NULL COMMENT 'the id',",
        "  `name` STRING,",
        "  `payload` RAW('x', 'y'),",
        "  `upper_name` AS UPPER(name),",
        "  `cost` AS (`price` * 2),",
        "  `kafka_ts` TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,",
        "  `part` INT METADATA,",
        "  `ts` TIMESTAMP(3),",
        "  WATERMARK FOR `ts` AS (`ts` - INTERVAL '5' SECOND),",
        "  CONSTRAINT `pk` PRIMARY KEY (`id`, `name`) NOT ENFORCED",
        ")",
    ])


def test_schema_from_fields_and_row_type() -> None:
    a = Schema.new_builder().from_fields(["a", "b"], [DataTypes.INT(), DataTypes.STRING()]).build()
    b = Schema.new_builder().from_row_data_type(ROW_AB).build()
    assert a == b
    assert a._to_ddl_columns() == "`a` INT, `b` STRING"
    c = Schema.new_builder().from_schema(a).column("c", DataTypes.DATE()).build()
    assert c._to_ddl_columns() == "`a` INT, `b` STRING, `c` DATE"
    with pytest.raises(ValueError):
        Schema.new_builder().primary_key()


# ---- TableDescriptor --------------------------------------------------------------------------


def test_table_descriptor_ddl() -> None:
    schema = (Schema.new_builder().column("a", DataTypes.BIGINT())
              .column("ts", DataTypes.TIMESTAMP(3))
              .watermark("ts", "ts - INTERVAL '5' SECOND").build())
    descriptor = (TableDescriptor.for_connector("filesystem")
                  .schema(schema)
                  .option("path", "/tmp/it's")
                  .format(FormatDescriptor.for_format("csv")
                          .option("field-delimiter", "|")
                          .option("ignore-parse-errors", True).build())
                  .partitioned_by("a")
                  .comment("orders")
                  .build())
    assert descriptor._to_ddl("db.orders") == "\n".join([
        "CREATE TABLE `db`.`orders` (",
        "  `a` BIGINT,",
        "  `ts` TIMESTAMP(3),",
        "  WATERMARK FOR `ts` AS ts - INTERVAL '5' SECOND",
        ")",
        "COMMENT 'orders'",
        "PARTITIONED BY (`a`)",
        "WITH (",
        "  'connector' = 'filesystem',",
        "  'path' = '/tmp/it''s',",
        "  'format' = 'csv',",
        "  'csv.field-delimiter' = '|',",
        "  'csv.ignore-parse-errors' = 'true'",
        ")",
    ])
    assert descriptor.get_schema() is schema
    assert descriptor.get_partition_keys() == ["a"]
    assert descriptor.get_comment() == "orders"
    assert descriptor.get_options()["csv.field-delimiter"] == "|"


def test_table_descriptor_variants() -> None:
    d = TableDescriptor.for_connector("datagen").option("rows-per-second", 10).format("json") \
        .build()
    assert d._to_ddl("gen", temporary=True, if_not_exists=True) == (
        "CREATE TEMPORARY TABLE IF NOT EXISTS `gen`\nWITH (\n  'connector' = 'datagen',\n"
        "  'rows-per-second' = '10',\n  'format' = 'json'\n)")
    kafka = TableDescriptor.for_connector("kafka").format(
        FormatDescriptor.for_format("csv").option("field-delimiter", ";").build(),
        "key.format").build()
    assert kafka.get_options() == {"connector": "kafka", "key.format": "csv",
                                   "key.csv.field-delimiter": ";"}
    with pytest.raises(ValueError):
        TableDescriptor.for_connector("x").format(
            FormatDescriptor.for_format("csv").option("csv.x", "1").build())


def test_config_option_keys() -> None:
    class Option(object):
        def key(self) -> str:
            return "sink.parallelism"
    d = TableDescriptor.for_connector("print").option(Option(), 2).build()
    assert d.get_options() == {"connector": "print", "sink.parallelism": "2"}
    f = FormatDescriptor.for_format("json").option("fail-on-missing-field", False).build()
    assert f.get_format() == "json"
    assert f.get_options() == {"fail-on-missing-field": "false"}
