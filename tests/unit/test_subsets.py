"""Generalization subsets and the lexicon-only baseline, on a small hand-made example."""

from __future__ import annotations

from model.lexicon import Lexicon, channel_emote_part
from training.data import LabeledSet
from training.lexicon_baseline import LexiconClassifier, fit_threshold
from training.subsets import emote_tokens, evaluation_subsets, is_emote_only

LEXICON = Lexicon({
    "PogChamp": ("twitch_global", 0.8), "BibleThump": ("twitch_global", -0.5), "KEKW": ("bttv", 0.6),
    "Hype": ("suffix", 0.8), "Sad": ("suffix", -0.6), "😂": ("emoji", 0.6), "gg": ("slang", 0.5),
    ":)": ("emoticon", 0.5),
})


def labeled() -> LabeledSet:
    return LabeledSet(
        texts={"train": ["PogChamp what a play", "gg everyone", "xyzHype lets go"],
               "test": ["PogChamp again", "BibleThump he lost", "abcHype abcHype", "😂😂 KEKW", "gg wp",
                        "qrs2Sad", "nice :)", "hello there"]},
        labels={"train": [2, 2, 2], "test": [2, 0, 2, 2, 2, 0, 2, 1]},
        ids={"train": ["l00001", "l00002", "l03000"],
             "test": ["l00010", "l02649", "l02650", "l04000", "l00020", "l05000", "l00030", "l09999"]},
    )


def test_channel_emotes_are_a_lower_case_prefix_and_a_capitalised_word():
    assert channel_emote_part("abcHype") == "Hype" and channel_emote_part("qrs2Love") == "Love"
    assert channel_emote_part("Hype") is None and channel_emote_part("hype") is None
    assert channel_emote_part("PogChamp") is None and channel_emote_part("a1") is None


def test_emote_tokens_and_emote_only_messages():
    assert emote_tokens("BibleThump he lost abcSad 😂", LEXICON) == ["BibleThump", "abcSad", "😂"]
    assert emote_tokens("gg wp", LEXICON) == []  # slang is not an emote
    assert is_emote_only("😂😂 KEKW", LEXICON) and is_emote_only("qrs2Sad", LEXICON)
    assert not is_emote_only("nice :)", LEXICON) and not is_emote_only("", LEXICON)


def test_subsets_pick_the_right_messages():
    subsets = evaluation_subsets(labeled(), "test", LEXICON)
    assert subsets["all"] == list(range(8))
    assert subsets["version_1"] == [0, 1, 4, 6]  # ids below l02650
    assert subsets["version_2"] == [2, 3, 5, 7]
    # PogChamp is in training; BibleThump, abcHype (xyzHype was seen, abcHype not), 😂, KEKW,
    # qrs2Sad and :) were never in a training message
    assert subsets["unseen_emotes"] == [1, 2, 3, 5, 6]
    assert subsets["emote_only"] == [2, 3, 5]


def test_unseen_messages_leave_out_those_the_model_reads_as_a_training_message():
    data = labeled()
    data.texts["test"][4] = "GG everyone"  # train has `gg everyone`: the same as the tokenizer reads it
    data.texts["test"][7] = "xyzHype   lets go\u200b"  # the same once normalised
    assert evaluation_subsets(data, "test", LEXICON)["unseen_messages"] == [0, 1, 2, 3, 5, 6]
    assert evaluation_subsets(labeled(), "test", LEXICON)["unseen_messages"] == list(range(8))


def test_a_model_fitted_on_dev_too_has_seen_the_emotes_of_dev():
    data = labeled()
    data.texts["dev"], data.labels["dev"], data.ids["dev"] = ["BibleThump so sad", "abcHype"], [0, 2], [
        "l00100", "l03100"]
    assert evaluation_subsets(data, "test", LEXICON)["unseen_emotes"] == [1, 2, 3, 5, 6]
    # BibleThump and abcHype are in dev messages now; 😂, KEKW, qrs2Sad and :) still in none
    assert evaluation_subsets(data, "test", LEXICON, fitted=("train", "dev"))["unseen_emotes"] == [3, 5, 6]


def test_lexicon_classifier_averages_known_tokens_with_channel_emote_parts():
    classifier = LexiconClassifier(LEXICON, threshold=0.2)
    assert classifier.value("hello there") is None
    assert classifier.value("abcHype BibleThump") == (0.8 - 0.5) / 2
    labels = [s.label for s in classifier.predict(["qrs2Sad", "GG", "hello there", "KEKW 😂"])]
    assert labels == ["negative", "positive", "neutral", "positive"]


def test_threshold_is_chosen_on_the_given_split():
    texts = ["PogChamp", "abcSad", "gg", "hello", "BibleThump KEKW KEKW"]  # the last averages +0.23
    assert fit_threshold(LEXICON, texts, [2, 0, 2, 1, 1]).threshold == 0.25  # the first that gets all


def test_the_messages_a_model_learned_beside_the_labeled_file_count_as_seen():
    learned = ["KEKW 😂😂 that was funny", "PogChamp again"]  # e.g. training/labels/, joined to train
    subsets = evaluation_subsets(labeled(), "test", LEXICON, learned=learned)
    assert subsets["unseen_emotes"] == [1, 2, 5, 6]  # 😂😂 KEKW: both emotes were in a learned message
    assert subsets["unseen_messages"] == [1, 2, 3, 4, 5, 6, 7]  # `PogChamp again` itself was learned


def test_lexicon_tokens_learned_alone_are_seen_messages_but_not_seen_emotes():
    data = labeled()
    data.texts["test"][5] = "KEKW"  # a lexicon token that no training message holds
    subsets = evaluation_subsets(data, "test", LEXICON, learned_tokens=sorted(LEXICON.entries))
    assert subsets["unseen_messages"] == [0, 1, 2, 3, 4, 6, 7]  # the model learned `KEKW` alone
    assert subsets["unseen_emotes"] == [1, 2, 3, 5, 6]  # but no labeled chat showed it
