"""Splits the reference XML workload into one file per submission, as ODK Briefcase and Kobo
instance downloads give them: usage split_xml.py WORKLOAD.xml FOLDER N (the first N records)."""
import os
import sys

xml, folder, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(folder, exist_ok=True)
count = 0
record = None
with open(xml, encoding="utf-8", newline="") as f:
    for line in f:
        if record is None:
            if not line.startswith("<response "):
                continue
            record = []
        record.append(line)
        # A record's open answers may hold line breaks: it ends at its closing tag.
        if not line.rstrip("\r\n").endswith("</response>"):
            continue
        count += 1
        with open(os.path.join(folder, f"submission_{count:06d}.xml"), "w", encoding="utf-8", newline="") as out:
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
            out.write("".join(record))
        record = None
        if count == n:
            break
print(f"{count} submission files in {folder}", file=sys.stderr)
