import pytest

from chainrule.data.datasets.numbers import LIMIT, english, german, number_pairs, split_numbers

# (n, English, German): checked by hand against Duden's rules (units before tens joined by "und";
# "eins" at the end, "ein" before und/hundert/tausend; sechzehn, siebzehn, sechzig, siebzig,
# dreißig).
KNOWN = [
    (0, "zero", "null"),
    (1, "one", "eins"),
    (2, "two", "zwei"),
    (7, "seven", "sieben"),
    (10, "ten", "zehn"),
    (11, "eleven", "elf"),
    (12, "twelve", "zwölf"),
    (13, "thirteen", "dreizehn"),
    (16, "sixteen", "sechzehn"),
    (17, "seventeen", "siebzehn"),
    (19, "nineteen", "neunzehn"),
    (20, "twenty", "zwanzig"),
    (21, "twenty-one", "einundzwanzig"),
    (30, "thirty", "dreißig"),
    (36, "thirty-six", "sechsunddreißig"),
    (60, "sixty", "sechzig"),
    (67, "sixty-seven", "siebenundsechzig"),
    (70, "seventy", "siebzig"),
    (99, "ninety-nine", "neunundneunzig"),
    (100, "one hundred", "einhundert"),
    (101, "one hundred one", "einhunderteins"),
    (111, "one hundred eleven", "einhundertelf"),
    (116, "one hundred sixteen", "einhundertsechzehn"),
    (200, "two hundred", "zweihundert"),
    (421, "four hundred twenty-one", "vierhunderteinundzwanzig"),
    (777, "seven hundred seventy-seven", "siebenhundertsiebenundsiebzig"),
    (999, "nine hundred ninety-nine", "neunhundertneunundneunzig"),
    (1000, "one thousand", "eintausend"),
    (1001, "one thousand one", "eintausendeins"),
    (1021, "one thousand twenty-one", "eintausendeinundzwanzig"),
    (2000, "two thousand", "zweitausend"),
    (21000, "twenty-one thousand", "einundzwanzigtausend"),
    (101001, "one hundred one thousand one", "einhunderteintausendeins"),
    (999999, "nine hundred ninety-nine thousand nine hundred ninety-nine",
     "neunhundertneunundneunzigtausendneunhundertneunundneunzig"),
]


@pytest.mark.parametrize("n, english_words, german_word", KNOWN)
def test_known_pairs(n, english_words, german_word):
    assert english(n) == english_words
    assert german(n) == german_word


def test_every_number_has_distinct_words():
    numbers = range(0, LIMIT, 7)
    assert len({english(n) for n in numbers}) == len(numbers)
    assert len({german(n) for n in numbers}) == len(numbers)


@pytest.mark.parametrize("bad, error", [(-1, ValueError), (LIMIT, ValueError), (True, TypeError),
                                        (2.5, TypeError), ("3", TypeError)])
def test_bad_numbers_are_refused_by_name(bad, error):
    for spell in (english, german):
        with pytest.raises(error, match=spell.__name__):
            spell(bad)


def test_splits_are_disjoint_deterministic_and_cover_the_range():
    splits = {name: split_numbers(name) for name in ("train", "validation", "test")}
    assert [len(splits[name]) for name in splits] == [800, 100, 100]
    assert sorted(n for numbers in splits.values() for n in numbers) == list(range(1000))
    assert split_numbers("test") == splits["test"]
    assert split_numbers("test", seed=1) != splits["test"]
    assert number_pairs("test")[0] == (english(splits["test"][0]), german(splits["test"][0]))


@pytest.mark.parametrize("kwargs, match", [
    ({"split": "dev"}, "unknown split 'dev'"),
    ({"split": "train", "high": 1}, "high must be"),
    ({"split": "train", "fractions": (0.5, 0.5)}, "fractions must be"),
    ({"split": "train", "fractions": (0.8, 0.3, -0.1)}, "fractions must be"),
    ({"split": "train", "fractions": (float("nan"), 0.5, 0.5)}, "fractions must be"),
])
def test_bad_split_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        split_numbers(**kwargs)
