#!/usr/bin/env python3
# Copyright (c) 2026 The ioasidd developers
# SPDX-License-Identifier: ISC
#
# Validate ioasidd trace files against proto/trace-schema.json: every line
# one JSON object matching the schema, the first line of each file a
# header, sequence numbers rising. Prints the first bad lines and exits 1
# when there are any.
#
# usage: scripts/trace-validate.py [--schema FILE] TRACE...

import argparse
import json
import os
import sys

import jsonschema


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--schema",
                    default=os.path.join(here, "..", "proto",
                                         "trace-schema.json"))
    ap.add_argument("traces", nargs="+")
    args = ap.parse_args()
    with open(args.schema) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    v = cls(schema)
    bad = 0
    lines = 0
    for path in args.traces:
        last = 0
        with open(path) as f:
            for n, text in enumerate(f, 1):
                lines += 1
                where = "%s:%d" % (path, n)
                try:
                    obj = json.loads(text)
                except ValueError as e:
                    print("%s: not JSON: %s" % (where, e))
                    bad += 1
                    continue
                errs = sorted(v.iter_errors(obj), key=lambda e: e.path)
                if errs:
                    print("%s: %s" % (where, errs[0].message[:300]))
                    bad += 1
                    continue
                if n == 1 and obj.get("type") != "header":
                    print("%s: the first line is not a header" % where)
                    bad += 1
                seq = obj.get("seq")
                if seq is not None:
                    if seq <= last:
                        print("%s: seq %d after %d" % (where, seq, last))
                        bad += 1
                    last = seq
                if bad >= 20:
                    break
    print("%d lines, %d bad" % (lines, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
