from pyflink.datastream import StreamExecutionEnvironment
from pyflink.common.typeinfo import Types
env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(1)
ds = env.from_collection(["hello world", "flink streaming", "hello flink"], type_info=Types.STRING())
ds = ds.flat_map(lambda s: [(w, 1) for w in s.split()])
ds.key_by(lambda x: x[0]).reduce(lambda a, b: (a[0], a[1] + b[1])).print()
env.execute("wc")
