"""Make the sample data from ../shared/datasets (run once by a developer; the output is committed).

Each pool keeps a handful of labels (the rest empty) so a new project can train at once; each
answers file holds every row's true label under the id `activelearn init` generates for it
(r000001 is the file's first row), so the demo can play the person who labels; each *_labeled
file is the same rows with every label, for `activelearn simulate`.
"""

import csv
import random
import sys
from pathlib import Path

SHARED = Path(sys.argv[1] if len(sys.argv) > 1 else "../../shared/datasets")
HERE = Path(__file__).parent
SEED = 7


def read(name):
    with open(SHARED / name, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def write(name, rows, fields):
    with open(HERE / name, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def make(name, rows, label, keep_per_class, fields):
    rng = random.Random(SEED)
    by_class = {}
    for i, row in enumerate(rows):
        by_class.setdefault(row[label], []).append(i)
    keep = {i for members in by_class.values() for i in rng.sample(members, keep_per_class)}
    answers = [{"id": f"r{i + 1:06d}", label: row[label]} for i, row in enumerate(rows)]
    pool = [{**row, label: row[label] if i in keep else ""} for i, row in enumerate(rows)]
    write(f"{name}.csv", pool, fields)
    write(f"{name}_answers.csv", answers, ["id", label])
    write(f"{name}_labeled.csv", rows, fields)  # every label known: for `activelearn simulate`


penguins = read("penguins.csv")
make("penguins", penguins, "species", 2, list(penguins[0].keys()))

reviews = read("movie_reviews.csv")
random.Random(SEED).shuffle(reviews)
make("movie_reviews", reviews[:3000], "sentiment", 5, ["text", "movie", "sentiment"])
