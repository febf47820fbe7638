#!/usr/bin/env python3
"""Writes a synthetic SCOPE exchange layout v1 CSV of MEMBERS member rows in households of 1 to 8.

Usage: generate-scope-csv.py MEMBERS OUTPUT. Deterministic (fixed seed), so every run measures the same file.
Every person is invented: names come from a short list of syllables, numbers from a counter.
"""
import random
import sys

COLUMNS = (
    "household_id,household_name,household_size,residence_status,vulnerability_rating,arrival_date,"
    "registration_source,location,address,beneficiary_unique_id,scope_id,last_name,first_name,household_role,"
    "sex,date_of_birth,date_of_birth_estimated,nationality,phone_number,recipient_role"
)
SYLLABLES = ["ka", "ma", "lo", "ne", "ri", "tu", "sa", "de", "ba", "zo", "ki", "nu", "ya", "po", "we", "ha"]
STATUS = ["REFUGEE", "IDP", "RETURNEE", "RESIDENT"]
RATING = ["UNKNOWN", "NOT_VULNERABLE", "VULNERABLE", "VERY_VULNERABLE", "EXTREMELY_VULNERABLE"]
NATIONALITY = ["SSD", "SOM", "COD", "ETH", "KEN", "SDN"]
OTHER_ROLES = [("SPOUSE", None), ("SON", "M"), ("DAUGHTER", "F"), ("GRANDPARENT", None), ("OTHER_RELATIVE", None)]


def word(rng, parts):
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def main():
    members, output = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(20261203)
    written = 0
    household = 0
    with open(output, "w", newline="", encoding="utf-8") as out:
        out.write(COLUMNS + "\r\n")
        while written < members:
            household += 1
            size = min(rng.randint(1, 8), members - written)
            family = word(rng, 3)
            household_id = f"KAK-23-{household:07d}"
            address = f'"Block {rng.randint(1, 90)}, ""{word(rng, 2)}"" gate"' if rng.random() < 0.2 else ""
            shared = ",".join(
                [
                    household_id,
                    f"HH {family}",
                    str(size),
                    rng.choice(STATUS),
                    rng.choice(RATING),
                    f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                    rng.choice(["UNHCR", "WFP", ""]),
                    f"KE-TUR-{rng.randint(1, 40):02d}",
                    address,
                ]
            )
            for index in range(size):
                written += 1
                role, sex = ("HEAD", None) if index == 0 else rng.choice(OTHER_ROLES)
                sex = sex or rng.choice("FM")
                year = rng.randint(1940, 2024)
                date = rng.choice([f"{year}", f"{year}-{rng.randint(1, 12):02d}", f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])
                recipient = "PRINCIPAL" if index == 0 else ("ALTERNATE" if index == 1 else "NONE")
                phone = f"+2547{rng.randint(0, 99999999):08d}" if index < 2 else ""
                member = ",".join(
                    [
                        f"KAK-{household:07d}{index:02d}",
                        f"SC-{written:08d}" if rng.random() < 0.5 else "",
                        family,
                        word(rng, 2),
                        role,
                        sex,
                        date,
                        "Y" if len(date) == 4 else "N",
                        rng.choice(NATIONALITY),
                        phone,
                        recipient,
                    ]
                )
                out.write(shared + "," + member + "\r\n")


if __name__ == "__main__":
    main()
