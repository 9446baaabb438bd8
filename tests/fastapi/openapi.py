"""Write the test app's OpenAPI document: python tests/fastapi/openapi.py OUT_DIR

OUT_DIR/openapi.json is json.dumps(app.openapi(), indent=2) (what GET /openapi.json serves, pretty
printed) and OUT_DIR/openapi.yaml is the same document as YAML (yaml.safe_dump, keys in document order).
"""

import json
import sys
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app import app  # noqa: E402


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: openapi.py OUT_DIR")
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    document = app.openapi()
    (out / "openapi.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    (out / "openapi.yaml").write_text(
        yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
