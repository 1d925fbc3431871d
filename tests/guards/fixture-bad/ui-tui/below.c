#include "core/engine.h"
#include <airlock/airlock.h>
