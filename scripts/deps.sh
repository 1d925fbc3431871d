#!/bin/sh
# Install what Airlock needs to build and test, from Debian's packages.
# Only missing packages are installed; nothing happens when all are present.
# On other systems it prints the package names and exits non-zero when
# something is missing.
set -eu

PKGS="build-essential cmake pkg-config git
libsodium-dev libsignal-protocol-c-dev libsqlite3-dev libncurses-dev
libssl-dev libutf8proc-dev libstrophe-dev libseccomp-dev libcmocka-dev
libjansson-dev clang-14 libclang-rt-14-dev valgrind tmux sqlite3 libglib2.0-dev
python3 openssl
prosody profanity"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: not a Debian system; install the equivalents of:" >&2
    echo "  $PKGS" | tr '\n' ' ' >&2
    echo >&2
    exit 1
fi

echo "deps.sh: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
        echo "deps.sh: need root or sudo to install:$missing" >&2; exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# Prosody's package would start the system service; tests start their own
# private instance, so keep the system one from starting at install time.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    made_policy=1
fi
$SUDO apt-get update -qq || true
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
[ "$made_policy" = 1 ] && $SUDO rm -f "$policy"
exit 0
