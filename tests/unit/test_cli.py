import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.config import ModelConfig

REPO = Path(__file__).resolve().parents[2]


def test_config_check_prints_the_effective_config(capsys):
    assert main(["config", "check", "--config", str(REPO / "config.yaml")]) == 0
    out = capsys.readouterr().out
    assert yaml.safe_load(out)["model"]["max_batch"] == ModelConfig().max_batch


def test_config_check_reports_a_bad_file_and_fails(tmp_path, capsys):
    bad = tmp_path / "config.yaml"
    bad.write_text("mood:\n  min_messages: many\n")
    assert main(["config", "check", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2: mood.min_messages: expected a whole number, found 'many'" in err


def test_score_prints_label_and_value_per_text(tiny_model_dir, capsys):
    assert main(["score", "--model", str(tiny_model_dir), "what a play", "", "KEKW KEKW"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line in lines:
        label, value = line.split()[:2]
        assert label in {"negative", "neutral", "positive"} and -1 <= float(value) <= 1


def test_score_reads_piped_lines_as_typed(tiny_model_dir, monkeypatch, capsys):
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("\ufeffpog\r\n\r\nwhat a play\n"))  # a Windows file
    assert main(["score", "--model", str(tiny_model_dir), "--json"]) == 0
    assert [json.loads(line)["text"] for line in capsys.readouterr().out.splitlines()] == ["pog", "", "what a play"]


def test_score_json_has_probabilities(tiny_model_dir, capsys):
    assert main(["score", "--json", "--model", str(tiny_model_dir), "gg"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["text"] == "gg" and set(row) >= {"label", "negative", "neutral", "positive", "value"}


def test_score_with_a_missing_model_names_it(tmp_path, capsys):
    assert main(["score", "--model", str(tmp_path / "gone"), "hi"]) == 2
    assert f"model directory {tmp_path / 'gone'} does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("model", ["nosuchdir", "{tmp}/nosuchdir"])
def test_score_with_a_mistyped_model_fails_at_once_in_one_line(model, tmp_path, no_model_hub, capsys):
    model = model.format(tmp=tmp_path)
    started = time.monotonic()
    assert main(["score", "--model", model, "hi"]) == 2
    assert time.monotonic() - started < 5
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("twitch-mood: error: ") and model in err[0]
    assert "expected `default`, a checkpoint directory, or a hub name (`name` or `org/name`) when a hub is reachable" in err[0]


def test_config_check_refuses_a_model_path_that_is_no_directory_nor_hub_name(tmp_path, capsys):
    config = tmp_path / "config.yaml"
    config.write_text("model:\n  path: ./models/mine\n", encoding="utf-8")
    assert main(["config", "check", "--config", str(config)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith(f"twitch-mood: error: {config}:2: model.path: expected")
    config.write_text("model:\n  path: defualt\n", encoding="utf-8")  # a hub name by shape, a typo by intent
    assert main(["config", "check", "--config", str(config)]) == 2
    assert "model.path: 'defualt' is no directory; did you mean default?" in capsys.readouterr().err


def test_bench_json_reports_both_modes_and_latency(capsys):
    args = ["bench", "--model", "tiny", "--messages", "300", "--seconds", "0.5", "--rates", "50,400", "--json"]
    assert main(args) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["batched_msgs_per_s"] > 0 and result["unbatched_msgs_per_s"] > 0
    assert result["speedup"] == round(result["batched_msgs_per_s"] / result["unbatched_msgs_per_s"], 2)
    assert set(result["latency_ms"]) == {"50", "400"}
    for row in result["latency_ms"].values():
        assert row["completed"] + row["rejected"] == row["sent"] > 0
        assert 0 < row["p50"] <= row["p95"] <= row["p99"]
        assert row["mean_batch"] >= 1
    assert result["machine"]["cpu_count"] >= 1 and result["machine"]["device"].startswith("cpu")
    assert result["gpu_memory_mib"] is None  # reported on CUDA only


def test_bench_with_a_missing_corpus_is_a_clear_error(tmp_path, capsys):
    assert main(["bench", "--model", "tiny", "--corpus", str(tmp_path / "none.txt")]) == 2
    assert "none.txt not found" in capsys.readouterr().err


def test_python_dash_m_bot_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "bot", "config", "check", "--config", str(REPO / "config.yaml")],
                          capture_output=True, text=True, cwd=REPO, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "config OK" in done.stderr


@pytest.mark.parametrize("command", [["demo"], ["eval", "--data", "chat.csv"], ["train", "sentiment", "--out", "m"]])
def test_commands_that_never_read_the_config_refuse_config_rather_than_ignore_it(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([*command, "--config", "my.yaml"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --config my.yaml" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["run"], ["auth"], ["config", "check"], ["score"], ["bench"],
                                     ["analyze", "chat.log"], ["overlay-key"]])
def test_commands_that_read_the_config_take_config(command):
    from bot.cli import build_parser

    assert build_parser().parse_args([*command, "--config", "my.yaml"]).config == "my.yaml"


def test_the_command_module_loads_nothing_of_the_project_or_the_model_libraries():
    # What `twitch-mood` imports before main() can catch a Ctrl+C; transformers alone takes a second.
    code = "import sys, bot.cli; print(sorted({'torch', 'transformers', 'bot.config', 'yaml'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]"


def test_ctrl_c_while_the_commands_load_exits_130_without_a_traceback(monkeypatch, capsys):
    import bot.cli

    def interrupted(command: str | None = None) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(bot.cli, "build_parser", interrupted)
    try:
        code = main(["run"])
    except KeyboardInterrupt:
        pytest.fail("the Ctrl+C escaped main()")
    assert code == 130
    assert capsys.readouterr().err == ""


def test_commands_other_than_train_start_without_transformers():
    # The train stages' options come from HfArgumentParser; importing transformers for them took
    # most of a second of every command's start.
    code = ("import sys; from bot.cli import build_parser; build_parser('run').parse_args(['run']); "
            "print('transformers' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(("command", "option", "value"), [
    *((command, option, value) for command, option in (("demo", "--limit"), ("bench", "--messages"))
      for value in ("0", "-1", "1.5")),
    *((command, option, value) for command, option in (("demo", "--speed"), ("bench", "--seconds"))
      for value in ("0", "-1", "nan", "inf")),
])
def test_counts_and_rates_that_are_not_positive_numbers_stop_at_the_usage_line(command, option, value, capsys):
    with pytest.raises(SystemExit):
        main([command, option, value])
    assert f"argument {option}: expected a positive number, got {value!r}" in capsys.readouterr().err


def test_version_names_the_release_of_pyproject(capsys):
    import tomllib

    release = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"twitch-mood {release}"
