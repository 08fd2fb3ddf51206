"""The OpenAPI document fuzzed with schemathesis (its command line, against the real server):
no 500, no status code or response body outside the document."""

import shutil
import subprocess
import sys
from pathlib import Path


def test_openapi_fuzzed_no_500_and_no_response_outside_the_schema(server, key, tmp_path):
    st = shutil.which("st") or str(Path(sys.executable).parent / "st")
    r = subprocess.run(
        [st, "run", f"{server.url}/v1/openapi.json", "--checks", "not_a_server_error",
         "--checks", "response_schema_conformance", "--checks", "status_code_conformance",
         "--max-examples", "25", "--seed", "7", "-H", f"Authorization: Bearer {key}",
         "--no-color"],
        capture_output=True, text=True, timeout=400, cwd=tmp_path)
    assert r.returncode == 0, r.stdout[-4000:]
