import dataclasses
from pathlib import Path

import pytest
import yaml

from bot.config import Config, ConfigError, MoodConfig, describe_config, load_config, parse_config

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_config_documents_exactly_the_defaults():
    shipped = load_config(REPO / "config.yaml")
    defaults = parse_config({}, base_dir=REPO)
    assert dataclasses.replace(shipped, source="") == dataclasses.replace(defaults, source="")


def test_empty_file_means_all_defaults(tmp_path):
    config = load_config(write(tmp_path, "# nothing\n"))
    assert config.model == Config().model and config.mood == MoodConfig()


def test_values_are_read_and_typed(tmp_path):
    config = load_config(write(tmp_path, "model:\n  max_batch: 32\n  max_wait_ms: 3\nmood:\n  alerts_enabled: false\n"))
    assert config.model.max_batch == 32
    assert config.model.max_wait_ms == 3.0 and isinstance(config.model.max_wait_ms, float)
    assert config.mood.alerts_enabled is False


def test_wrong_type_names_file_line_key_and_expectation(tmp_path):
    path = write(tmp_path, "model:\n  device: cpu\n  max_batch: lots\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == f"{path}:3: model.max_batch: expected a whole number, found 'lots' (str)"


def test_channel_override_error_names_the_list_index(tmp_path):
    path = write(tmp_path, "channels:\n  - one\n  - two\n  - name: three\n    swing_threshold: high\n")
    with pytest.raises(ConfigError, match=r":5: channels\[2\]\.swing_threshold: expected a number, found 'high'"):
        load_config(path)


def test_unknown_key_suggests_the_closest(tmp_path):
    with pytest.raises(ConfigError, match=r"mood\.swing_treshold: unknown key; did you mean 'swing_threshold'\?"):
        load_config(write(tmp_path, "mood:\n  swing_treshold: 0.3\n"))
    with pytest.raises(ConfigError, match=r"did you mean 'model'\?"):
        load_config(write(tmp_path, "modle:\n  path: x\n"))


def test_unknown_key_without_a_close_match_lists_known_keys(tmp_path):
    with pytest.raises(ConfigError, match=r"storage\.zzz: unknown key; known keys: path, keep_messages"):
        load_config(write(tmp_path, "storage:\n  zzz: 1\n"))


def test_out_of_range_value_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"model\.max_batch: expected a whole number from 1 to 4096, found 0"):
        load_config(write(tmp_path, "model:\n  max_batch: 0\n"))


def test_not_a_number_is_refused_where_a_number_is_expected(tmp_path):
    with pytest.raises(ConfigError, match=r"model\.max_wait_ms: expected a number, found nan \(float\)"):
        load_config(write(tmp_path, "model:\n  max_wait_ms: .nan\n"))


def test_choice_lists_the_allowed_values(tmp_path):
    with pytest.raises(ConfigError, match=r"model\.device: expected one of 'auto', 'cpu', 'cuda', found 'gpu'"):
        load_config(write(tmp_path, "model:\n  device: gpu\n"))


def test_bare_on_off_is_understood_for_on_off_choices(tmp_path):
    assert load_config(write(tmp_path, "model:\n  quantize: on\n")).model.quantize == "on"
    assert load_config(write(tmp_path, "model:\n  quantize: off\n")).model.quantize == "off"


def test_number_where_a_string_belongs_says_to_quote_it(tmp_path):
    with pytest.raises(ConfigError, match=r"twitch\.bot_login: expected a string, found 12345 \(int\) \(quote it"):
        load_config(write(tmp_path, "twitch:\n  bot_login: 12345\n"))


@pytest.mark.parametrize("key", ["client_secret", "token", "oauth"])
def test_secrets_in_the_config_file_are_refused(tmp_path, key):
    with pytest.raises(ConfigError, match="secrets do not belong in a config file"):
        load_config(write(tmp_path, f"twitch:\n  {key}: abc123\n"))


def test_duplicate_keys_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r":3: key 'model' appears twice \(first on line 1\)"):
        load_config(write(tmp_path, "model:\n  path: a\nmodel:\n  path: b\n"))


def test_invalid_yaml_names_the_line(tmp_path):
    path = write(tmp_path, "model:\n  path: [unclosed\n")
    with pytest.raises(ConfigError, match=f"{path}:3: not valid YAML"):
        load_config(path)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_config(tmp_path / "absent.yaml")


def test_top_level_must_be_a_mapping(tmp_path):
    with pytest.raises(ConfigError, match="expected a mapping of sections"):
        load_config(write(tmp_path, "- just\n- a list\n"))


def test_channels_take_names_or_overrides_on_top_of_global_mood_and_commands(tmp_path):
    config = load_config(write(tmp_path, (
        "mood:\n  swing_threshold: 0.4\ncommands:\n  hype:\n    reply: 'H {level}'\n"
        "channels:\n  - '#SomeStreamer'\n  - name: other\n    alert_cooldown_s: 30\n"
        "    alert_message: 'swing {before} {after}'\n"
        "    commands:\n      hype: {cooldown_s: 3}\n      mood: {aliases: [vibe], level: subscriber}\n"
    )))
    first, second = config.channels
    assert first.name == "somestreamer" and first.mood.swing_threshold == 0.4
    assert first.commands.hype.reply == "H {level}" and first.commands.mood.aliases == ()
    assert second.name == "other" and second.mood.alert_cooldown_s == 30
    assert second.mood.swing_threshold == 0.4
    assert second.commands.hype.reply == "H {level}"  # global override kept
    assert second.commands.hype.cooldown_s == 3 and second.commands.mood.aliases == ("vibe",)
    assert second.commands.mood.level == "subscriber"
    assert second.mood.alert_message == "swing {before} {after}"


def test_old_reply_and_cooldown_keys_still_work_with_a_warning(tmp_path, caplog):
    path = write(tmp_path, (
        "mood:\n  command_cooldown_s: 4\n  replies:\n    hype: 'H {level}'\n    alert: 'A {before}'\n"
        "    refused: 'No.'\n"
        "commands:\n  mood:\n    cooldown_s: 7\n"
        "channels:\n  - name: other\n    replies:\n      sentiment_on: 'on!'\n"
    ))
    config = load_config(path)
    assert config.commands.hype.reply == "H {level}" and config.mood.alert_message == "A {before}"
    assert config.chat.refusal_reply == "No."
    assert (config.commands.mood.cooldown_s, config.commands.hype.cooldown_s) == (7, 4)  # new keys win
    assert config.channels[0].commands.sentiment.reply_on == "on!"
    warnings = [r.getMessage() for r in caplog.records if r.name == "twitch_mood.config"]
    assert any("mood.replies.hype is deprecated" in w and "commands.hype.reply" in w for w in warnings)
    assert any("mood.command_cooldown_s is deprecated" in w for w in warnings)
    assert any("channels[0]" in w and "commands.sentiment.reply_on" in w for w in warnings)


def test_bad_channel_entries_are_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"channels\[1\]\.name: channel 'a' is listed twice"):
        load_config(write(tmp_path, "channels: [a, A]\n"))
    with pytest.raises(ConfigError, match=r"channels\[0\]\.name: expected a Twitch login"):
        load_config(write(tmp_path, "channels: ['no spaces allowed']\n"))
    with pytest.raises(ConfigError, match=r"channels\[0\]: expected a channel name or a mapping with 'name'"):
        load_config(write(tmp_path, "channels:\n  - swing_threshold: 0.3\n"))


def test_reply_templates_are_checked(tmp_path):
    with pytest.raises(ConfigError, match=r"commands\.hype\.reply: unknown placeholder \{lvl\}; available: \{level\}, \{window\}"):
        load_config(write(tmp_path, "commands:\n  hype:\n    reply: 'Hype {lvl}'\n"))
    with pytest.raises(ConfigError, match=r"commands\.mood\.reply: template does not format"):
        load_config(write(tmp_path, "commands:\n  mood:\n    reply: 'broken {value'\n"))
    with pytest.raises(ConfigError, match=r"commands\.mood\.level: expected one of 'everyone', 'subscriber'"):
        load_config(write(tmp_path, "commands:\n  mood:\n    level: mods\n"))


def test_relative_paths_are_resolved_from_the_config_file(tmp_path):
    config = load_config(write(tmp_path, "storage:\n  path: data/mood.sqlite3\n"))
    assert config.storage.path == str(tmp_path / "data" / "mood.sqlite3")


@pytest.mark.parametrize("value", ["./no-such-model", "models/mine/v2", "my model", "~/no-such-model", "org/"])
def test_model_path_must_be_default_a_directory_or_a_hub_name(tmp_path, value):
    path = write(tmp_path, f"model:\n  device: cpu\n  path: '{value}'\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(
        f"{path}:3: model.path: expected `default`, a checkpoint directory, or a hub name (`name` or `org/name`)"
    )
    assert str(info.value).endswith(f"found {value!r}")


@pytest.mark.parametrize("value", ["default", "{tmp}", "nosuchdir", "cardiffnlp/twitter-roberta-base-sentiment"])
def test_model_path_takes_default_a_directory_or_a_hub_name(tmp_path, value):
    value = value.format(tmp=tmp_path)
    assert load_config(write(tmp_path, f"model:\n  path: '{value}'\n")).model.path == value


def test_describe_hides_the_secret_and_round_trips(tmp_path, monkeypatch):
    monkeypatch.setenv("TWITCH_CLIENT_SECRET", "s3cr3t-value")
    config = load_config(write(tmp_path, "channels: [a, {name: b, min_messages: 3}]\n"))
    text = describe_config(config)
    assert "s3cr3t-value" not in text
    assert "client secret ($TWITCH_CLIENT_SECRET): set (hidden)" in text
    dumped = yaml.safe_load(text)
    assert dumped["channels"][1]["name"] == "b" and dumped["channels"][1]["min_messages"] == 3
    assert config.client_secret() == "s3cr3t-value"


@pytest.mark.parametrize(("aliases", "message"), [
    ("['']", "expected one word per alias"),
    ("['vibe now']", "expected one word per alias"),
    ("[hype]", "'hype' already names !hype"),
])
def test_bad_aliases_are_refused(tmp_path, aliases, message):
    with pytest.raises(ConfigError, match=rf"commands\.mood\.aliases: {message}"):
        load_config(write(tmp_path, f"commands:\n  mood:\n    aliases: {aliases}\n"))


def test_one_alias_for_two_commands_is_refused_also_per_channel(tmp_path):
    text = "commands:\n  hype:\n    aliases: [vibe]\nchannels:\n  - name: x\n    commands: {mood: {aliases: ['!Vibe']}}\n"
    with pytest.raises(ConfigError, match=r"channels\[0\]\.commands\.hype\.aliases: 'vibe' already names !mood"):
        load_config(write(tmp_path, text))


def test_a_template_that_would_crash_on_the_real_values_is_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"commands\.mood\.reply: template does not format: Unknown format code 'f'"):
        load_config(write(tmp_path, "commands:\n  mood:\n    reply: 'mood {word:+.2f}'\n"))
    config = load_config(write(tmp_path, "commands:\n  mood:\n    reply: '{count:d} msgs, {value:+.1%}'\n"))
    assert config.commands.mood.reply == "{count:d} msgs, {value:+.1%}"
