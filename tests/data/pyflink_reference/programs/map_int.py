from pyflink.datastream import StreamExecutionEnvironment
from pyflink.common.typeinfo import Types
env = StreamExecutionEnvironment.get_execution_environment()
env.set_parallelism(1)
env.from_collection([1,2,3], type_info=Types.INT()).map(lambda x: x*2, output_type=Types.INT()).print()
env.execute("map_int")
