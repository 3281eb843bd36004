#!/bin/bash
# Entrypoint of cdc-local/spark, following apache/spark's /opt/entrypoint.sh for the way infra.yaml
# uses it: the command (e.g. /opt/spark/bin/spark-class org.apache.spark.deploy.master.Master ...)
# runs as given ("pass-through mode"). It runs under tini so that orphaned Python workers are
# reaped and SIGTERM reaches the JVM, which shuts down cleanly.
set -eo pipefail

if [ -z "$JAVA_HOME" ]; then
    JAVA_HOME="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
    export JAVA_HOME
fi
[ -z "${PYSPARK_PYTHON+x}" ] || export PYSPARK_PYTHON
[ -z "${PYSPARK_DRIVER_PYTHON+x}" ] || export PYSPARK_DRIVER_PYTHON

if [ "$#" -eq 0 ]; then
    set -- bash
fi

case "$1" in
    driver|executor)
        echo "cdc-local/spark: the Kubernetes '$1' mode of apache/spark is not supported here" >&2
        exit 64
        ;;
esac

exec /usr/bin/tini -s -- "$@"
