"""Time, Duration and Instant (oxflow.common.time)."""

import pickle

import pytest

from oxflow.common import Duration, Instant, Time


@pytest.mark.parametrize("t, ms", [
    (Time.milliseconds(250), 250),
    (Time.seconds(5), 5000),
    (Time.minutes(2), 120000),
    (Time.hours(1), 3600000),
    (Time.days(1), 86400000),
])
def test_time_to_milliseconds(t, ms):
    assert t.to_milliseconds() == ms


def test_time_equality_and_repr():
    assert Time.seconds(60) == Time.minutes(1)
    assert Time.seconds(1) != Time.seconds(2)
    assert hash(Time.seconds(60)) == hash(Time.milliseconds(60000))
    assert repr(Time.seconds(1)) == "Time(milliseconds=1000)"
    assert pickle.loads(pickle.dumps(Time.hours(2))) == Time.hours(2)
    with pytest.raises(TypeError):
        Time.seconds("5")


@pytest.mark.parametrize("d, ms, nanos", [
    (Duration.of_nanos(1500000), 1, 1500000),
    (Duration.of_millis(250), 250, 250000000),
    (Duration.of_seconds(5), 5000, 5000000000),
    (Duration.of_minutes(2), 120000, 120000000000),
    (Duration.of_hours(1), 3600000, 3600000000000),
    (Duration.of_days(1), 86400000, 86400000000000),
    (Duration.of_millis(-500), -500, -500000000),
])
def test_duration_conversions(d, ms, nanos):
    assert d.to_milliseconds() == ms
    assert d.to_nanos() == nanos


@pytest.mark.parametrize("d, text", [
    (Duration.of_seconds(0), "PT0S"),
    (Duration.of_seconds(90), "PT1M30S"),
    (Duration.of_days(2), "PT48H"),
    (Duration.of_millis(1500), "PT1.5S"),
    (Duration.of_nanos(1), "PT0.000000001S"),
    (Duration.of_millis(-500), "PT-0.5S"),
    (Duration.of_millis(-61500), "PT-1M-1.5S"),
    (Duration.of_hours(-1), "PT-1H"),
])
def test_duration_java_to_string(d, text):
    assert str(d) == text


def test_duration_equality():
    assert Duration.of_seconds(60) == Duration.of_minutes(1)
    assert Duration.of_millis(1) != Duration.of_nanos(1)
    assert Duration.of_millis(1) > Duration.of_nanos(1)
    assert hash(Duration.of_hours(24)) == hash(Duration.of_days(1))
    assert pickle.loads(pickle.dumps(Duration.of_millis(7))) == Duration.of_millis(7)


def test_instant():
    i = Instant.of_epoch_milli(1500)
    assert (i.seconds, i.nanos) == (1, 500000000)
    assert i.to_epoch_milli() == 1500
    assert Instant.of_epoch_milli(-1).to_epoch_milli() == -1
    assert Instant.of_epoch_milli(-1) == Instant(-1, 999000000)
    assert i == Instant.of_epoch_milli(1500)
    assert i != Instant.of_epoch_milli(1501)
    assert hash(i) == hash(Instant(1, 500000000))
    assert repr(i) == "Instant<1, 500000000>"
    assert i.to_string() == "1970-01-01T00:00:01.500Z"
    assert Instant.of_epoch_milli(0) < i
    assert pickle.loads(pickle.dumps(i)) == i
