"""The danlu Python module against the command line it wraps: same answers, same errors."""
import json
import os
import subprocess

import pytest

import danlu

BINARY = os.environ["DANLU_BINARY"]
SOURCE = os.environ["DANLU_SOURCE_DIR"]

RUN = {
    "id": "py-a", "kind": "training", "source": "test", "model": {"preset": "llama3-8b"},
    "seq_len": 8192, "accelerator": "h100-sxm", "gpus": 8, "gpus_per_node": 8, "precision": "bf16",
    "parallel": {"tp": 1, "pp": 1, "dp": 8, "micro_batch": 1, "global_batch": 64},
    "measured": {"tokens_per_s_per_gpu": 8000},
}


def cli(*args):
    out = subprocess.run([BINARY, *args, "--json"], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def test_train_matches_the_command_line():
    r = danlu.train(model="llama3-70b", accelerator="h100-sxm", gpus=1024, tp=8, pp=4, global_batch=512)
    c = cli("train", "--model", "llama3-70b", "--accelerator", "h100-sxm", "--gpus", "1024", "--tp", "8", "--pp", "4",
            "--global-batch", "512")
    assert r["step_time_s"] == pytest.approx(c["step_time_s"], rel=1e-12)
    assert r["layout"]["tp"] == 8 and r["layout"]["pp"] == 4
    assert 0 < r["mfu"] < 1
    assert sum(r["breakdown_s"].values()) > 0


def test_bool_and_none_keywords():
    on = danlu.train(model="llama3-8b", gpus=8, tp=8, sequence_parallel=True)
    off = danlu.train(model="llama3-8b", gpus=8, tp=8, sequence_parallel=False, pp=None)
    # Without sequence parallelism each GPU holds the full layer-norm and dropout activations.
    assert off["memory"]["peak_gib"] > on["memory"]["peak_gib"]


def test_search_infer_plan_cost_catalog():
    s = danlu.search(model="llama3-8b", gpus=16, top=3)
    assert 1 <= len(s["ranked"]) <= 3
    times = [x["step_time_s"] for x in s["ranked"]]
    assert times == sorted(times)
    i = danlu.infer(model="llama3-8b", gpus=1, concurrency=8, input_tokens=1024, output_tokens=256)
    assert i["ttft_ms"] > 0 and i["tpot_ms"] > 0
    p = danlu.plan(model="llama3-8b", gpus=64, tokens=1e11, trials=10, seed=3)
    assert p["days"] > 0 and 0 < p["goodput"] <= 1
    assert danlu.plan(model="llama3-8b", gpus=64, tokens=1e11, trials=10, seed=3)["monte_carlo"] == p["monte_carlo"]
    c = danlu.cost(accelerator="h100-sxm", gpus=64, years=3)
    assert c["build"]["total_usd"] > 0
    ids = [m["id"] for m in danlu.catalog("models")]
    assert "llama3-70b" in ids
    sc = danlu.scale(model="llama3-8b", gpus=[8, 16])
    assert [p["gpus"] for p in sc["points"]] == [8, 16]


def test_validate_inline_and_from_a_file(tmp_path):
    inline = danlu.validate(runs=[RUN])
    assert inline["summary"]["count"] == 1
    path = tmp_path / "runs.json"
    path.write_text(json.dumps([RUN]))
    from_file = danlu.validate(path=str(path))
    assert from_file["runs"][0]["predicted"] == pytest.approx(inline["runs"][0]["predicted"], rel=1e-12)
    dev = danlu.validate(path=os.path.join(SOURCE, "data/validation/training-dev.yaml"))
    assert dev["summary"]["count"] >= 70


def test_bad_input_raises_one_line_errors():
    with pytest.raises(ValueError, match="did you mean 'h100-sxm'"):
        danlu.train(accelerator="h100-sx")
    with pytest.raises(ValueError, match="unknown keyword 'gpu'"):
        danlu.train(gpu=8)
    with pytest.raises(TypeError, match="gpus"):
        danlu.train(gpus={"a": 1})
    with pytest.raises(ValueError, match=r"<runs>:\d+"):
        danlu.validate(runs=[{"id": "x"}])
    with pytest.raises(ValueError, match="or path is required"):
        danlu.validate()
    with pytest.raises(ValueError, match="catalog"):
        danlu.catalog("gpus")
    # An error leaves the module usable: the capture of the failed call does not leak.
    assert danlu.train(model="llama3-8b", gpus=8)["step_time_s"] > 0


def test_python_keeps_its_ctrl_c_handler():
    # search and plan stop cleanly on Ctrl-C while they run; afterwards Python's own handler
    # (KeyboardInterrupt) must be back, not the process-killing default.
    import signal
    before = signal.getsignal(signal.SIGINT)
    danlu.search(model="llama3-8b", gpus=8, top=1)
    danlu.plan(model="llama3-8b", gpus=64, tokens=1e11, trials=10)
    assert signal.getsignal(signal.SIGINT) is before


def test_help_is_not_a_json_answer():
    with pytest.raises(ValueError, match="no JSON answer"):
        danlu.train(help=True)
