#!/bin/sh
# Placeholder test runner; replaced by the full suite.
echo "0 passed, 0 failed"
