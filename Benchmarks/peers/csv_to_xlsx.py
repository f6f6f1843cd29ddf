"""Writes the first N rows of the workload's CSV as an XLSX workbook (xlsxwriter, constant memory),
strings as shared strings as Excel and KoboToolbox write them."""
import csv
import sys
import xlsxwriter

src, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_numbers": False})
sheet = book.add_worksheet("survey")
with open(src, newline="", encoding="utf-8") as f:
    for i, row in enumerate(csv.reader(f)):
        if i > n:
            break
        for j, v in enumerate(row):
            if v != "":
                sheet.write_string(i, j, v)
book.close()
