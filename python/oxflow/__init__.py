"""oxflow: Flink's stream processing semantics with a Rust core and PyFlink's Python API.

Port a PyFlink program by changing its imports: ``pyflink.datastream`` becomes
``oxflow.datastream``, ``pyflink.common`` becomes ``oxflow.common``.
"""

__version__ = "0.1.0"
