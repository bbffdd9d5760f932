#!/usr/bin/env python3
"""Writes N generated JSON Lines requests (default 2,500) to standard output, the same for a given seed:
every brand's ranges, Luhn passes and failures, every expiry form (past, near, too far, malformed), codes
of every kind with and without indicators, US and foreign addresses, and some requests the daemon refuses
(a letter in the PAN, a code that contradicts its indicator). Visa cards are covered by the vectors' keys,
so their codes come back M or N."""
import json
import random
import sys

PREFIXES = ["4", "4111", "4114", "4208", "51", "55", "2221", "2720", "34", "37", "6011", "65", "644", "3528",
            "3589", "62", "36", "300", "6759", "5018", "6304", "636368", "2200", "606282", "9792", "6062",
            # The vectors' range and brands files (wire.json): issuer data, a co-badged card, a declared brand;
            # Switch's old 4903 (a legacy name beside Visa); Dankort and UATP from the built-in table.
            "40000566", "52008282828", "507803", "4903", "5019", "1"]
LENGTHS = [12, 13, 14, 15, 16, 17, 18, 19]


def luhn_digit(body: str) -> str:
    total = 0
    for index, char in enumerate(reversed(body)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return str((10 - total % 10) % 10)


def pan(rng: random.Random) -> str:
    prefix = rng.choice(PREFIXES)
    length = rng.choice([16] * 6 + LENGTHS)
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    check = luhn_digit(body)
    if rng.random() < 0.15:
        check = str((int(check) + rng.randrange(1, 10)) % 10)
    number = body + check
    style = rng.random()
    if style < 0.1:
        return " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    if style < 0.15:
        return "-".join(number[i:i + 4] for i in range(0, len(number), 4))
    if style < 0.17:
        return number[:6] + "x" + number[7:]  # refused: pan_invalid_character
    return number


def expiry(rng: random.Random) -> str:
    month = rng.randrange(1, 13) if rng.random() < 0.95 else rng.choice([0, 13, 99])
    year = rng.randrange(2015, 2055)
    form = rng.randrange(3)
    if form == 0:
        return f"{month:02d}/{year % 100:02d}"
    if form == 1:
        return f"{month:02d}{year % 100:02d}"
    return f"{month:02d}/{year}"


# Right codes under the vectors' keys (wire.json): answered M.
MATCHING = [{"pan": "4114585553881637", "expiry": "01/2020", "csc": "303"},
            {"pan": "4111 1111 1111 1111", "expiry": "0120", "csc": "921", "csc_indicator": 1}]


def card(rng: random.Random) -> dict:
    if rng.random() < 0.03:
        return dict(rng.choice(MATCHING))
    request = {}
    if rng.random() < 0.9:
        request["pan"] = pan(rng)
    if rng.random() < 0.7:
        request["expiry"] = expiry(rng)
    roll = rng.random()
    if roll < 0.5:
        request["csc"] = "".join(str(rng.randrange(10)) for _ in range(rng.choice([3, 3, 3, 4])))
    elif roll < 0.55:
        request["csc"] = rng.choice(["X", "I", "", "12", "12a"])
    if rng.random() < 0.2:
        consistent = {"X": 9, "I": 2, "": 0}.get(request.get("csc"), 1 if "csc" in request else 0)
        request["csc_indicator"] = consistent if rng.random() < 0.8 else rng.choice([0, 1, 2, 9])
    if rng.random() < 0.4:
        number = rng.randrange(1, 3000)
        request["street"] = f"{number} {rng.choice(['Main St', 'Oak Avenue', 'High Street'])}"
        request["postal_code"] = rng.choice(["12345", "12345-6789", "SW1A 2AA", "99999"])
        if rng.random() < 0.3:
            request["country"] = rng.choice(["US", "GB", "usa", "840"])
        if rng.random() < 0.85:
            same = rng.random() < 0.5
            request["on_file_street"] = request["street"] if same else f"{number + 1} Main Street"
            request["on_file_postal_code"] = rng.choice([request["postal_code"], "54321", "SW1A2AA"])
            request["on_file_country"] = rng.choice(["US", "US", "GB", ""])
    if not request:
        request["pan"] = pan(rng)
    return request


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2500
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 20261203)
    for _ in range(count):
        print(json.dumps(card(rng), separators=(",", ":")))


if __name__ == "__main__":
    main()
