"""The lexicon as model input (model/lexicon.py), a streamer's emote CSV in config.yaml, and the
emote-swap and invented-emote augmentations (training/augment.py)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import ConfigError, load_config
from model.lexicon import CUSTOM, FEATURE_NAMES, Lexicon, LexiconError, WordParts, read_lexicon
from model.paths import shared_data_dir
from model.text import normalize
from training.augment import EmoteInventor, EmoteSwapper, invented_examples, polarity, swapped_examples
from training.weak import label_of

SHIPPED = read_lexicon(shared_data_dir() / "emote_lexicon.csv")
SMALL = Lexicon({"PogChamp": ("twitch_global", 0.8), "BibleThump": ("twitch_global", -0.5),
                 "Hype": ("suffix", 0.8), "gg": ("slang", 0.5)})


def test_lookup_exact_lower_case_and_channel_word_part():
    assert SMALL.sentiment("PogChamp") == 0.8
    assert SMALL.sentiment("GG!") == 0.5  # slang rows are lower case; trailing punctuation goes
    assert SMALL.sentiment("abcHype") == 0.8 and SMALL.sentiment("qrs2Hype") == 0.8
    assert SMALL.sentiment("Hyped") is None and SMALL.sentiment("hello") is None


def test_channel_emote_word_parts_are_found_as_chatters_spell_them():
    parts = Lexicon({"Hype": ("suffix", 0.8), "Cry": ("suffix", -0.6), "Laugh": ("suffix", 0.7),
                     "Hmm": ("suffix", 0.0), "LUL": ("suffix", 0.6), "Lul": ("suffix", 0.4),
                     "Sad": ("twitch_global", -0.5)})
    found = {token: parts.sentiment(token) for token in (
        "abcHYPE", "abcHypeee", "abcCryy", "wideSpeedLaugh", "xyzPikaLAUGH", "abcHmmmm", "abcLUL", "abcLul",
        "abcLuL", "abcSad", "abcHyped", "abcZorp", "HYPE")}
    assert found == {"abcHYPE": 0.8, "abcHypeee": 0.8, "abcCryy": -0.6, "wideSpeedLaugh": 0.7,
                     "xyzPikaLAUGH": 0.7, "abcHmmmm": 0.0, "abcLUL": 0.6, "abcLul": 0.4,
                     "abcLuL": 0.6,  # other capitals: the first known spelling in sorted order, every run
                     "abcSad": None,  # only suffix rows are word parts
                     "abcHyped": None, "abcZorp": None, "HYPE": None}  # a word part needs a channel prefix
    assert WordParts(["Hype", "Laugh"]).find("SpeedLaughh") == "Laugh"  # the known token's own spelling


def test_features_of_hits_and_of_nothing():
    features = dict(zip(FEATURE_NAMES, SMALL.features("abcHype BibleThump what"), strict=True))
    assert features["any_hit"] == 1.0 and features["mean"] == pytest.approx(0.15)
    assert features["min"] == -0.5 and features["max"] == 0.8
    assert features["positive_mass"] == pytest.approx(0.4) and features["negative_mass"] == pytest.approx(0.25)
    assert features["hit_share"] == pytest.approx(2 / 3)
    assert SMALL.features("") == [0.0] * len(FEATURE_NAMES) == SMALL.features("hello there")


def test_a_streamers_rows_win_over_the_shipped_ones():
    merged = SMALL.merged(Lexicon({"PogChamp": ("custom", -0.2), "zzzBlorp": ("custom", 0.9)}))
    assert merged.sentiment("PogChamp") == -0.2 and merged.sentiment("zzzBlorp") == 0.9
    assert SMALL.sentiment("zzzBlorp") is None  # the original is unchanged
    reweighted = SMALL.merged(Lexicon({"Hype": ("custom", 0.2)}))  # a word part stays a word part
    assert reweighted.sentiment("abcHype") == 0.2 and reweighted.entries["Hype"] == ("suffix", 0.2)


@pytest.mark.parametrize(("text", "message"), [
    ("emote,score\nzzz,1\n", "needs a header with the columns token and sentiment .*its first line is "
                              "'emote,score'"),
    ("token,sentiment\nzzz,-0,5\n", r":2: sentiment -0,5 has a decimal comma; write it with a point \(0.5\)"),
    ("token,sentiment\nzzz\n", r":2: sentiment '' is not a number"),  # a row half saved
    ('token,sentiment\n"zzz,0.5\n' + "x" * 140_000 + "\n", r":\d+: not CSV \(field larger than field limit"),
    ("token,sentiment\nzzz,lots\n", r":2: sentiment 'lots' is not a number in \[-1, 1\]"),
    ("token,sentiment\nzzz,3\n", r":2: sentiment 3 is outside \[-1, 1\]"),
    ("token,sentiment\ntwo words,0.5\n", r":2: token 'two words' must be one word"),
    ("token,sentiment\nok,0.5\n\n,0.5\n", r":4: empty token"),
    ("token,sentiment\nzzzBlorp,0.9\nPog,1\nzzzBlorp,-0.9\n",
     r":4: token 'zzzBlorp' is also on line 2, as sentiment 0.9 there and sentiment -0.9 here; keep one row"),
    ("token,kind,sentiment\nHype,suffix,0.2\nHype,,0.2\n",
     r":3: token 'Hype' is also on line 2, as kind suffix, sentiment 0.2 there and sentiment 0.2 here"),
])
def test_a_bad_emote_csv_names_the_file_and_line(tmp_path, text, message):
    path = tmp_path / "emotes.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LexiconError, match=message):
        read_lexicon(path, one_word=True)


def test_every_bad_row_of_an_emote_csv_is_named_in_one_line(tmp_path):
    path = tmp_path / "emotes.csv"
    rows = ["zzzA,0.9", "zzzB,lots", "zzzC,0.5", ",0.5"] + [f"zzz{i},2" for i in range(6)]
    path.write_text("token,sentiment\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(LexiconError) as caught:
        read_lexicon(path, one_word=True)
    message = str(caught.value)
    assert "\n" not in message
    assert message.endswith(":3: sentiment 'lots' is not a number in [-1, 1] (and 7 more bad row(s): "
                            "line 5, 6, 7, 8, 9, ...)")
    path.write_text("token,sentiment\nzzzB,lots\n\"zzzC,0.5\n" + "x" * 140_000 + "\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"not CSV .*a stray quote\? \(and bad row\(s\) before it: line 2\)"):
        read_lexicon(path, one_word=True)  # a stray quote after a bad row: both named


def test_a_spreadsheets_header_in_capitals_or_with_spaces_is_read(tmp_path):
    path = tmp_path / "emotes.csv"
    path.write_text("Token, Sentiment ,KIND\nzzzA,0.9,custom\n", encoding="utf-8")
    assert read_lexicon(path, one_word=True).entries == {"zzzA": ("custom", 0.9)}


def test_a_note_or_an_empty_field_after_the_sentiment_is_left_alone(tmp_path):
    path = tmp_path / "emotes.csv"
    path.write_text("token,sentiment\nzzzA,0.9,\nzzzB,-0.5,our sad one\nzzzC,1,\n", encoding="utf-8")
    lexicon = read_lexicon(path, one_word=True)
    assert [lexicon.sentiment(t) for t in ("zzzA", "zzzB", "zzzC")] == [0.9, -0.5, 1.0]


def test_an_emote_listed_twice_with_one_sentiment_is_read_once(tmp_path):
    path = tmp_path / "emotes.csv"
    path.write_text("token,sentiment\nzzzBlorp,0.9\nzzzBlorp,0.9\n", encoding="utf-8")
    assert read_lexicon(path, one_word=True).entries == {"zzzBlorp": ("custom", 0.9)}


def test_model_emotes_in_config_are_resolved_and_checked(tmp_path):
    (tmp_path / "emotes.csv").write_text("token,sentiment\nzzzBlorp,0.9\n", encoding="utf-8")
    (tmp_path / "mine.csv").write_text("token,sentiment\nzzzBlorp,-0.9\n", encoding="utf-8")
    config_path = tmp_path / "config.yaml"
    config_path.write_text("model:\n  emotes: emotes.csv\nchannels:\n  - one\n  - name: two\n    emotes: mine.csv\n",
                           encoding="utf-8")
    config = load_config(config_path)
    assert config.model.emotes == str(tmp_path / "emotes.csv")
    assert [c.emotes for c in config.channels] == ["", str(tmp_path / "mine.csv")]

    config_path.write_text("model:\n  emotes: missing.csv\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r":2: model\.emotes: lexicon .*missing\.csv: cannot read it"):
        load_config(config_path)
    (tmp_path / "bad.csv").write_text("token,sentiment\nzzz,high\n", encoding="utf-8")
    config_path.write_text("channels:\n  - name: two\n    emotes: bad.csv\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"channels\[0\]\.emotes: .*bad\.csv:2: sentiment 'high'"):
        load_config(config_path)


emote_tokens = st.sampled_from(sorted(t for t in SHIPPED.entries if len(t.split()) == 1))
words = st.sampled_from(["what", "a", "play", "he", "is", "so", "bad", "lol", "abcHype", "xyzSad", "qrs2Love"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(emote_tokens, words), min_size=1, max_size=8), st.integers(0, 2**16))
def test_swaps_keep_every_tokens_kind_and_polarity(tokens, seed):
    swapper = EmoteSwapper(SHIPPED, seed)
    text = " ".join(tokens)
    swapped = swapper.swap(text)
    if swapped is None:
        buckets = [swapper.bucket(t) for t in tokens]
        assert all(b is None or len(swapper.pools[b]) < 2 for b in buckets)
        return
    after = swapped.split()
    assert len(after) == len(tokens)
    for before, now in zip(tokens, after, strict=True):
        bucket = swapper.bucket(before)
        if bucket is None:
            assert now == before  # words and slang are never swapped
            continue
        assert swapper.bucket(now) == bucket  # same kind, same polarity bucket
        old, new = SHIPPED.sentiment(before), SHIPPED.sentiment(now)
        assert old is not None and new is not None and polarity(old) == polarity(new)


def test_swapped_examples_keep_their_label_and_channel_prefix():
    texts, labels = swapped_examples(["abcHype that play", "no emotes here", "BibleThump"], [2, 1, 0],
                                     SHIPPED, copies=2, seed=1)
    assert labels == [2, 2, 0, 0]
    assert all(t.startswith("abc") and t.endswith(" that play") for t in texts[:2])
    assert all((SHIPPED.sentiment(t.split()[0]) or 0) > 0 for t in texts[:2])
    assert all((SHIPPED.sentiment(t) or 0) < 0 for t in texts[2:])


messages = st.lists(st.one_of(emote_tokens, words), min_size=1, max_size=8).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(messages, st.sampled_from([0, 1, 2])), min_size=1, max_size=12), st.integers(0, 2**16))
def test_invented_emotes_keep_the_label_and_the_features_their_entry_explains(rows, seed):
    texts, labels = [t for t, _ in rows], [lab for _, lab in rows]
    count = 6
    out_texts, out_labels, entries = invented_examples(texts, labels, SHIPPED, count, seed=seed)
    alone = 0
    for text, label, entry in zip(out_texts, out_labels, entries, strict=True):
        if entry is None:  # an invented emote without its entry: neutral, and the lexicon knows nothing
            assert label == 1 and SHIPPED.hits(text) == []
            continue
        ((word, value),) = entry.items()
        assert SHIPPED.sentiment(word) is None and abs(value) >= 0.4  # new, and polar
        own = SHIPPED.merged(Lexicon({word: (CUSTOM, value)}))
        # a training message with one emote replaced: same label, and with the entry the same
        # features as before
        originals = [normalize(t) for t, lab in zip(texts, labels, strict=True) if lab == label]
        originals = [t for t in originals if len(t.split()) == len(text.split())
                     and all(a == b or b == word for a, b in zip(t.split(), text.split(), strict=True))]
        if set(text.split()) == {word} and label == label_of(value):  # the emote alone, by its entry
            alone += 1
            continue
        assert originals, text
        assert label in (0, 2) and (value > 0) == (label == 2)
        assert any(own.features(text) == SHIPPED.features(t) for t in originals)
    assert alone >= count


def test_invented_emotes_are_new_and_skip_the_checkpoints_emote_tokens():
    inventor = EmoteInventor(SHIPPED, frozenset({"Zorp"}), seed=3)
    made = [inventor.word() for _ in range(300)]
    assert len(set(made)) == 300
    assert all(SHIPPED.sentiment(w) is None and w != "Zorp" and not w.endswith("Zorp") for w in made)
    assert any(w[0].islower() for w in made) and any(w[0].isupper() for w in made)  # prefixed and not
