#!/bin/sh
# Entry point of the gridledger image: the first word of the command picks the role.
#   peer | orderer      run that node with the config at $GRIDLEDGER_CONFIG (default /etc/gridledger/node.json)
#   rest                an org's REST service: python -m gridledger.services.rest ARGS (--org, --port, ...)
#   gridledger | cli    the command line, e.g. `docker run --rm gridledger cli --help`
#   anything else       run it as given (python, sh, ...)
set -eu

case "${1:-}" in
    peer | orderer)
        role="$1"
        shift
        config="${GRIDLEDGER_CONFIG:-/etc/gridledger/node.json}"
        if [ ! -r "$config" ]; then
            echo "gridledger: cannot read the node config $config; mount the node's folder made by" \
                 "\`gridledger network up --docker\` (or \`make up\`) at $(dirname "$config")" >&2
            exit 2
        fi
        exec python -m "gridledger.$role" --config "$config" "$@"
        ;;
    rest)
        shift
        exec python -m gridledger.services.rest "$@"
        ;;
    gridledger | cli)
        shift
        exec gridledger "$@"
        ;;
    "" | -h | --help)
        echo "usage: docker run IMAGE peer|orderer|rest|cli [ARGS...]  (or any command)" >&2
        exit 0
        ;;
    *)
        exec "$@"
        ;;
esac
