#!/usr/bin/env python3
"""Sweep of numpydantic's and pydantic-numpy's array annotations, for the generator's tests.

Writes, from the pinned venv (scripts/requirements-numpydantic.txt):
  schemas/numpydantic_sweep.schema.json      one model, a field per numpydantic annotation
                                             (14 dtypes x fixed / free / any-rank / 1-d shapes)
  tests/data/peers/numpydantic/sweep.json    the instance pydantic writes for it, with each
                                             field's dtype and shape
  schemas/pydantic_numpy_sweep.schema.json   one model, a field per pydantic-numpy typing alias

Run: PEERS=numpydantic scripts/peers-venv.sh && .cache/venvs/numpydantic/bin/python scripts/capture-numpydantic.py
"""
import json
import pathlib
from typing import Optional

import numpy as np
import pydantic
import pydantic_numpy.typing as pnt
from numpydantic import NDArray, Shape

ROOT = pathlib.Path(__file__).resolve().parent.parent
DTYPES = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64", "bool", "complex64", "complex128"]
SHAPES = [("fixed", "2, 3", (2, 3)), ("free", "*, *", (2, 2)), ("any", "*, ...", (3,)), ("vec", "3", (3,))]

fields, values, expected = {}, {}, {}
for dt in DTYPES:
    npdt = np.bool_ if dt == "bool" else getattr(np, dt)
    for shape_name, shape, data_shape in SHAPES:
        name = f"{dt}_{shape_name}"
        fields[name] = (NDArray[Shape[shape], npdt], ...)
        values[name] = ((np.arange(int(np.prod(data_shape))) * 3 % 7) % 2 if dt == "bool"
                        else np.arange(int(np.prod(data_shape))) * 3 % 7).astype(npdt).reshape(data_shape)
        expected[name] = {"dtype": dt, "shape": list(data_shape)}
fields["optional_float32"] = (Optional[NDArray[Shape["*"], np.float32]], None)
Sweep = pydantic.create_model("Sweep", **fields)
schema = Sweep.model_json_schema()
instance = json.loads(Sweep(**values).model_dump_json())
(ROOT / "schemas/numpydantic_sweep.schema.json").write_text(json.dumps(schema, indent=1) + "\n")
out = ROOT / "tests/data/peers/numpydantic"
out.mkdir(parents=True, exist_ok=True)
(out / "sweep.json").write_text(json.dumps({"instance": instance, "expected": expected}, indent=1) + "\n")

aliases = {n: (getattr(pnt, n), ...) for n in dir(pnt) if n.startswith("Np")}
PnSweep = pydantic.create_model("PydanticNumpySweep", **aliases)
(ROOT / "schemas/pydantic_numpy_sweep.schema.json").write_text(
    json.dumps(PnSweep.model_json_schema(), indent=1) + "\n")
print(f"{len(expected)} numpydantic fields, {len(aliases)} pydantic-numpy aliases")
