"""Calls a tesseract server with tesseract-core's own Python client (the SDK) and writes
what it got, for the Rust client tests to compare against.

usage: python tesseract_sdk_call.py URL SPEC.json OUT.json

SPEC: {"endpoint": "apply"|"jacobian"|"jacobian_vector_product"|"vector_jacobian_product"
       |"abstract_eval"|"health", "inputs": {name: truss-array}, plus "jac_inputs",
       "jac_outputs", "jvp_inputs", ..., "tangent_vector"/"cotangent_vector": {name: truss-array}}
       where a truss-array is {"data_b64", "shape", "dtype"}.
OUT:  the result with nested dicts flattened to "outer/inner" keys and every array
      written as a truss-array; abstract_eval and health results are written as they come.
"""
import base64
import json
import sys

import numpy as np
from tesseract_core import Tesseract


def to_np(a):
    if "data_b64" in a:
        return np.frombuffer(base64.b64decode(a["data_b64"]), dtype=a["dtype"]).reshape(a["shape"])
    # tesseract's json+base64 object (fields of the tesseract family keep their form).
    assert a["data"]["encoding"] == "base64", a
    return np.frombuffer(base64.b64decode(a["data"]["buffer"]), dtype=a["dtype"]).reshape(a["shape"])


def to_json(a):
    a = np.asarray(a)  # keeps 0-d scalars 0-d (ascontiguousarray would make them 1-d)
    return {"data_b64": base64.b64encode(a.tobytes(order="C")).decode(), "shape": list(a.shape), "dtype": str(a.dtype)}


def flatten(d, prefix=""):
    out = {}
    for k, v in d.items():
        key = f"{prefix}/{k}" if prefix else k
        if isinstance(v, dict):
            out.update(flatten(v, key))
        else:
            out[key] = to_json(v)
    return out


def main():
    url, spec_path, out_path = sys.argv[1:4]
    spec = json.load(open(spec_path))
    t = Tesseract.from_url(url)
    ep = spec["endpoint"]
    inputs = {k: to_np(v) for k, v in spec.get("inputs", {}).items()}
    if ep == "apply":
        res = flatten(t.apply(inputs))
    elif ep == "jacobian":
        res = flatten(t.jacobian(inputs, spec["jac_inputs"], spec["jac_outputs"]))
    elif ep == "jacobian_vector_product":
        tv = {k: to_np(v) for k, v in spec["tangent_vector"].items()}
        res = flatten(t.jacobian_vector_product(inputs, spec["jvp_inputs"], spec["jvp_outputs"], tv))
    elif ep == "vector_jacobian_product":
        cv = {k: to_np(v) for k, v in spec["cotangent_vector"].items()}
        res = flatten(t.vector_jacobian_product(inputs, spec["vjp_inputs"], spec["vjp_outputs"], cv))
    elif ep == "abstract_eval":
        res = t.abstract_eval(spec["abstract_inputs"])
        res = {k: {"shape": list(v["shape"]), "dtype": str(v["dtype"])} for k, v in res.items()}
    elif ep == "health":
        res = t.health()
    else:
        raise SystemExit(f"unknown endpoint {ep}")
    json.dump(res, open(out_path, "w"))


if __name__ == "__main__":
    main()
