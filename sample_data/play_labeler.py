"""Play the person who labels: fill a batch file's label column from a file of known answers.

    python sample_data/play_labeler.py BATCH.csv ANSWERS.csv

This is what a person does in Excel or LibreOffice (open the batch, type a label in the second
column of each row, save as CSV UTF-8); the demo and the tests use it because the sample data's
true labels are known. It uses only the standard library, as a spreadsheet would know nothing
of activelearn.
"""

import csv
import sys


def main(batch_path: str, answers_path: str) -> None:
    with open(answers_path, newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f)
        next(reader)
        answers = {row[0]: row[1] for row in reader}
    with open(batch_path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    filled = 0
    for row in rows[1:]:
        if row and row[0] in answers:
            row[1] = answers[row[0]]
            filled += 1
    with open(batch_path, "w", newline="", encoding="utf-8-sig") as f:
        csv.writer(f).writerows(rows)
    print(f"filled {filled} of {len(rows) - 1} rows of {batch_path} from {answers_path}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    main(sys.argv[1], sys.argv[2])
