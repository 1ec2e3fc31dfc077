"""A binary search task and its candidates with one planted flaw: the candidate runs' tests in
tests/services and tests/ui share them."""

SEARCH = (
    "def binary_search(items, target):\n"
    "    lo, hi = 0, len(items) - 1\n"
    "    while lo <= hi:\n"
    "        mid = (lo + hi) // 2\n"
    "        if items[mid] == target:\n"
    "            return mid\n"
    "        if items[mid] < target:\n"
    "            lo = mid + 1\n"
    "        else:\n"
    "            hi = mid - 1\n"
    "    return -1\n"
)
FLAWED_SEARCH = SEARCH.replace("lo <= hi", "lo < hi")
PROMPT = (
    "Implement `binary_search(items, target)` returning the index of `target` in the sorted "
    "list `items`, or -1.\n\nExamples:\n\n"
    ">>> binary_search([1, 3, 5], 5)\n2\n>>> binary_search([], 4)\n-1\n\n"
    "- `binary_search([7], 7) -> 0`\n"
    "- `binary_search([1, 3], 2)` returns `-1`\n"
    "- `binary_search(None, 1)` raises `TypeError`\n"
)
