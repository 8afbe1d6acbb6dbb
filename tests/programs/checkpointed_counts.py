"""A checkpointed job the crash tests run as a subprocess and SIGKILL at random moments.

    python checkpointed_counts.py VARIANT OUT_DIR CHECKPOINT_DIR [RESTORE_PATH]

VARIANT ``rolling``: running counts per key (Python map and reduce); ``windowed``: counts per
key and 1-second event-time tumbling window (timestamps are the numbers themselves). A suffix
``-rocksdb`` (``rolling-rocksdb``) keeps the keyed state in RocksDB, checkpointed incrementally. Both read
a NumberSequenceSource at parallelism 2, checkpoint every 200 ms and write one line per result
to an exactly-once FileSink in OUT_DIR. RESTORE_PATH is a ``chk-<n>`` directory to resume from.
"""

import sys
import time

from oxflow.common import Configuration, Duration, Types, WatermarkStrategy
from oxflow.common.serialization import Encoder
from oxflow.common.watermark_strategy import TimestampAssigner
from oxflow.datastream import CheckpointingMode, StreamExecutionEnvironment
from oxflow.datastream.connectors.file_system import BucketAssigner, FileSink
from oxflow.datastream.connectors.number_seq import NumberSequenceSource
from oxflow.datastream.window import TumblingEventTimeWindows

NUMBERS = 120_000
KEYS = 7


class ByNumber(TimestampAssigner):
    def extract_timestamp(self, value, record_timestamp):
        return value[1]


def slowly(n):
    # Slow enough that a run takes a few seconds and many checkpoints complete within it.
    if n % 500 == 0:
        time.sleep(0.05)
    return (n % KEYS, n)


def main(variant, out_dir, checkpoint_dir, restore=None):
    variant, _, backend = variant.partition("-")
    conf = Configuration()
    if backend:
        conf.set_string("state.backend.type", backend)
    conf.set_string("execution.checkpointing.dir", checkpoint_dir)
    conf.set_string("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION")
    if restore:
        conf.set_string("execution.state-recovery.path", restore)
    env = StreamExecutionEnvironment.get_execution_environment(conf)
    env.set_parallelism(2)
    env.enable_checkpointing(200, CheckpointingMode.EXACTLY_ONCE)
    numbers = env.from_source(NumberSequenceSource(1, NUMBERS), None, "numbers").uid("numbers")
    pairs = numbers.map(slowly, output_type=Types.TUPLE([Types.INT(), Types.LONG()])).uid("pairs")
    if variant == "rolling":
        counted = (
            pairs.map(lambda p: (p[0], 1)).uid("ones")
            .key_by(lambda p: p[0])
            .reduce(lambda a, b: (a[0], a[1] + b[1])).uid("counts")
            .map(lambda c: "%d,%d" % c, output_type=Types.STRING()).uid("format")
        )
    else:
        strategy = WatermarkStrategy.for_bounded_out_of_orderness(Duration.of_millis(100)).with_timestamp_assigner(ByNumber())
        counted = (
            pairs.assign_timestamps_and_watermarks(strategy).uid("timestamps")
            .map(lambda p: (p[0], p[1] - p[1] % 1000, 1)).uid("ones")
            .key_by(lambda p: p[0])
            .window(TumblingEventTimeWindows.of(Duration.of_seconds(1)))
            .reduce(lambda a, b: (a[0], a[1], a[2] + b[2])).uid("windows")
            .map(lambda c: "%d,%d,%d" % c, output_type=Types.STRING()).uid("format")
        )
    sink = FileSink.for_row_format(out_dir, Encoder.simple_string_encoder()).with_bucket_assigner(BucketAssigner.base_path_bucket_assigner()).build()
    counted.sink_to(sink).uid("sink")
    env.execute("checkpointed %s counts" % variant)


if __name__ == "__main__":
    main(*sys.argv[1:])
