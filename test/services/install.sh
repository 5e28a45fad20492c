#!/usr/bin/env bash
# Installs what the test suite's real services need, once per machine; safe to run again.
# moto_server (an S3-compatible server, PyPI). Later: Apache Kafka (Maven Central), Chromium (Debian).
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import moto.server, flask' >/dev/null 2>&1; then
  echo "[services] installing moto[server] from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
  hash -r
fi

# cfn-lint (PyPI): lints the CloudFormation templates `cdk synth` writes (test/infra/cdk-synth.test.ts).
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "[services] installing cfn-lint from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'cfn-lint>=1,<2'
  hash -r
fi
