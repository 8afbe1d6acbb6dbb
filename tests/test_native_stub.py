"""python/oxflow/_native.pyi describes the whole native module: every public name, every method
and property of its classes, with the native signatures' parameter names."""

import ast
import inspect
from pathlib import Path

import oxflow
from oxflow import _native

STUB = Path(oxflow.__file__).with_name("_native.pyi")


def stub_names():
    """{top-level name: {member: parameter names or None}} of the stub."""
    tree = ast.parse(STUB.read_text())
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names[node.name] = {}
        elif isinstance(node, ast.AnnAssign):
            names[node.target.id] = {}
        if isinstance(node, ast.FunctionDef):
            names[node.name] = {None: params(node)}
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef):
                    names[node.name][member.name] = params(member)
    return names


def params(function: ast.FunctionDef):
    return [a.arg for a in function.args.args if a.arg != "self"]


def native_params(function):
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    return [p for p in signature.parameters if p != "self"]


def native_names():
    names = {"__version__": {}}
    for name in dir(_native):
        if name.startswith("_"):
            continue
        obj = getattr(_native, name)
        if isinstance(obj, type):
            members = {m: native_params(v) if callable(v) else None for m, v in vars(obj).items() if not m.startswith("_")}
            if issubclass(obj, BaseException):
                members = {}  # an exception's members are BaseException's
            elif "__new__" in vars(obj) and vars(obj)["__new__"] is not object.__new__ and native_params(obj) is not None:
                members["__init__"] = native_params(obj)
            names[name] = members
        else:
            names[name] = {None: native_params(obj)}
    return names


def test_every_native_name_and_method_is_in_the_stub():
    stub, native = stub_names(), native_names()
    assert sorted(native) == sorted(stub), "names differ between oxflow._native and _native.pyi"
    for name, members in native.items():
        described = stub[name]
        missing = sorted(set(members) - set(described), key=str)
        assert not missing, "%s: %s not in _native.pyi" % (name, missing)
        stale = sorted(set(described) - set(members), key=str)
        assert not stale, "%s: %s in _native.pyi but not in the module" % (name, stale)
        for member, parameters in members.items():
            if parameters is not None:
                assert described[member] == parameters, "%s.%s takes %s" % (name, member, parameters)


def test_the_check_sees_a_missing_method():
    # The introspection finds what the stub must list (so the test above is not vacuous).
    native = native_names()
    assert {"step", "is_inline", "trigger_savepoint", "completed_checkpoints"} <= set(native["NativeJob"])
    assert native["NativeJob"]["wait"] == ["timeout"]
    assert "TriggerContextHandle" in native and "merge_state" in native["TriggerContextHandle"]
