#include <signal/signal_protocol.h>
