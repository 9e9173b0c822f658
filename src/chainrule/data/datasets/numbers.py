"""Number words, a generated translation task with non-monotonic alignment: english(n) ("four
hundred twenty-one") and german(n) ("vierhunderteinundzwanzig": German says the units before the
tens), and the numbers split into train / validation / test by number (number_pairs)."""
import operator
import random

# Both functions spell 0 <= n < LIMIT.
LIMIT = 1_000_000
# The built-in task: the numbers below HIGH, 80 / 10 / 10 % by number, shuffled with SEED.
HIGH, FRACTIONS, SEED = 1000, (0.8, 0.1, 0.1), 0
SPLITS = ("train", "validation", "test")

_ENGLISH_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
                 "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
                 "seventeen", "eighteen", "nineteen")
_ENGLISH_TENS = ("_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
                 "ninety")
# 16 and 17 drop a letter (sechzehn, siebzehn), as do 60 and 70 (sechzig, siebzig); 30 is the one
# ten spelled with -ßig.
_GERMAN_ONES = ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun",
                "zehn", "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn",
                "siebzehn", "achtzehn", "neunzehn")
_GERMAN_TENS = ("_", "_", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig",
                "achtzig", "neunzig")


def _check(name, n):
    if isinstance(n, bool):
        raise TypeError(f"{name}: expected an int, got a bool {n!r}")
    try:
        n = operator.index(n)
    except TypeError:
        raise TypeError(f"{name}: expected an int, got {type(n).__name__} {n!r}") from None
    if not 0 <= n < LIMIT:
        raise ValueError(f"{name}: n must be an int in [0, {LIMIT:_}), got {n!r}")
    return n


def english(n):
    """n in American English words, without "and": 421 -> "four hundred twenty-one", 101 ->
    "one hundred one", 21000 -> "twenty-one thousand"; tens and units joined by a hyphen."""
    n = _check("english", n)
    if n == 0:
        return "zero"
    thousands, rest = divmod(n, 1000)
    words = [_english_below_1000(thousands), "thousand"] if thousands else []
    if rest:
        words.append(_english_below_1000(rest))
    return " ".join(words)


def _english_below_1000(n):
    hundreds, rest = divmod(n, 100)
    words = [_ENGLISH_ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_ENGLISH_TENS[tens] + (f"-{_ENGLISH_ONES[ones]}" if ones else ""))
    elif rest:
        words.append(_ENGLISH_ONES[rest])
    return " ".join(words)


def german(n):
    """n in German, one word: units before tens, joined by "und" (21 -> "einundzwanzig"); one is
    "eins" at a number's end (1 "eins", 101 "einhunderteins") and "ein" before "und", "hundert" and
    "tausend". We write 100 "einhundert" and 1000 "eintausend" (Duden allows "hundert" and
    "tausend" too), as English says "one hundred": every English number word then has a German
    one. Examples: 421 "vierhunderteinundzwanzig", 1001 "eintausendeins", 21000
    "einundzwanzigtausend"."""
    n = _check("german", n)
    if n == 0:
        return "null"
    thousands, rest = divmod(n, 1000)
    word = _german_below_1000(thousands, final=False) + "tausend" if thousands else ""
    return word + (_german_below_1000(rest, final=True) if rest else "")


def _german_below_1000(n, final):
    """final: n ends the number, so a lone 1 is "eins" (not "ein", as before tausend)."""
    hundreds, rest = divmod(n, 100)
    word = ("ein" if hundreds == 1 else _GERMAN_ONES[hundreds]) + "hundert" if hundreds else ""
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        units = ("ein" if ones == 1 else _GERMAN_ONES[ones]) + "und" if ones else ""
        word += units + _GERMAN_TENS[tens]
    elif rest == 1:
        word += "eins" if final else "ein"
    elif rest:
        word += _GERMAN_ONES[rest]
    return word


def split_numbers(split, high=HIGH, fractions=FRACTIONS, seed=SEED):
    """The numbers 0 .. high-1 of one split, sorted: all of them shuffled once with seed (Python's
    random.Random, so the split is the same everywhere), then cut by fractions (train, validation,
    test; they must sum to 1). The three splits are disjoint and together hold every number.

    Args: split, "train", "validation" or "test"; high, 2 .. LIMIT; fractions, three numbers >= 0
        summing to 1; seed, an int.
    """
    if split not in SPLITS:
        raise ValueError(f"split_numbers: unknown split {split!r}; expected one of {SPLITS}")
    if isinstance(high, bool) or not isinstance(high, int) or not 2 <= high <= LIMIT:
        raise ValueError(f"split_numbers: high must be an int in [2, {LIMIT:_}], got {high!r}")
    fractions = tuple(fractions)
    # written so that a NaN fails the test (every comparison with NaN is False)
    if len(fractions) != 3 or not (min(fractions) >= 0 and abs(sum(fractions) - 1) <= 1e-9):
        raise ValueError(f"split_numbers: fractions must be three numbers >= 0 summing to 1 "
                         f"(train, validation, test), got {fractions!r}")
    numbers = list(range(high))
    random.Random(seed).shuffle(numbers)
    cut_train = round(fractions[0] * high)
    cut_validation = cut_train + round(fractions[1] * high)
    start, stop = {"train": (0, cut_train), "validation": (cut_train, cut_validation),
                   "test": (cut_validation, high)}[split]
    return sorted(numbers[start:stop])


def number_pairs(split, high=HIGH, fractions=FRACTIONS, seed=SEED):
    """(english(n), german(n)) for the numbers n of split_numbers(split, high, fractions, seed),
    in increasing n: the built-in translation task ("four hundred twenty-one",
    "vierhunderteinundzwanzig")."""
    return [(english(n), german(n)) for n in split_numbers(split, high, fractions, seed)]
