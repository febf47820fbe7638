#!/usr/bin/env python3
"""Writes N synthetic canonical records (households of 1 to 8: a group line, then its members) as NDJSON.

usage: Benchmarks/generate-canonical.py N OUTPUT
Every person is made up: names come from a small list of invented syllables, ids from a counter.
"""
import json
import random
import sys

count, output = int(sys.argv[1]), sys.argv[2]
random.seed(7)
syllables = ["ka", "lo", "mi", "ra", "tu", "ze", "no", "bi", "sa", "de"]
roles = ["spouse", "child", "child", "child", "sibling", "grandparent", "other-relative"]


def word():
    return "".join(random.choice(syllables) for _ in range(3)).capitalize()


written = 0
household = 0
with open(output, "w") as out:
    while written < count:
        household += 1
        size = min(random.randint(1, 8), count - written)
        group_id = f"BEN-26-{household:07d}"
        members = []
        for position in range(size):
            members.append({"ref": f"BEN-{written + position:09d}",
                            "relationshipToFocalPoint": "self" if position == 0 else random.choice(roles),
                            "focalPoint": position == 0, "principalRecipient": position == 0,
                            "alternateRecipient": position == 1})
        group = {"recordType": "group", "id": group_id, "name": f"Household {word()}", "size": size,
                 "location": {"levels": [{"level": 1, "code": "KE01"}, {"level": 2, "code": "KE01-07"}]},
                 "residenceStatus": "refugee", "members": members}
        out.write(json.dumps(group, separators=(",", ":")) + "\n")
        for member in members:
            year = random.randint(1940, 2024)
            person = {"recordType": "person", "id": member["ref"], "ref": member["ref"],
                      "identifiers": [{"scheme": "unhcr.progres.individual", "value": member["ref"]}],
                      "name": {"given": word(), "family": word()},
                      "sex": random.choice(["female", "male"]),
                      "birthDate": {"value": f"{year}-{random.randint(1, 12):02d}", "precision": "month",
                                    "estimated": False},
                      "nationalities": ["SSD"], "populationType": "REF",
                      "group": {"id": group_id, "relationshipToFocalPoint": member["relationshipToFocalPoint"],
                                "focalPoint": member["focalPoint"],
                                "principalRecipient": member["principalRecipient"],
                                "alternateRecipient": member["alternateRecipient"]},
                      "contacts": [{"kind": "phone", "value": f"+2547{random.randint(10000000, 99999999)}"}]}
            out.write(json.dumps(person, separators=(",", ":")) + "\n")
            written += 1
