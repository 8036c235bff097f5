# Django writes 12345 without separator (grouping by 4, separator ""); mainland publications and spreadsheets
# write 12,345, which is also what members see in the English pages and in exported files.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
# Django's MONTH_DAY_FORMAT is "m月j日" (09月5日); without the leading zero, like its DATE_FORMAT: 9月5日.
MONTH_DAY_FORMAT = "n月j日"
