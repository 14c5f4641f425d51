"""Link functions by name, with the integer codes of csrc/fastscore.h (fs_link)."""

IDENTITY = 0
LOGISTIC = 1
SOFTMAX = 2
OVR = 3
EXP = 4
MODIFIED_HUBER = 5
ONEVSREST = 6
ONEVSREST_MODIFIED_HUBER = 7

#: name used in model files -> code passed to the kernels
CODES = {
    "identity": IDENTITY,
    "logistic": LOGISTIC,
    "softmax": SOFTMAX,
    "ovr": OVR,
    "exp": EXP,
    "modified_huber": MODIFIED_HUBER,
    "onevsrest": ONEVSREST,
    "onevsrest_modified_huber": ONEVSREST_MODIFIED_HUBER,
}
