#!/usr/bin/env bash
# Creates the Secrets the manifests reference, in namespace parley (they are never committed):
#   parley-jwt-signing   jwt.pem              the Ed25519 token signing key (mounted by auth only)
#   parley-jwt-public    jwt.pub.pem          its public key (every service verifies tokens)
#   parley-secrets       admin-password       the admin account's password
#                        service-token        the credential services present to each other
#                        database-password    PostgreSQL's password for the role parley
#
#   scripts/k8s/create-secrets.sh           create them in kubectl's current context; existing
#                                           ones are kept (PostgreSQL keeps its first password)
#   scripts/k8s/create-secrets.sh --print   only print them as YAML (e.g. to seal or review)
# Needs openssl and kubectl (no cluster for --print).
set -euo pipefail
kubectl=${KUBECTL:-kubectl}
namespace=parley
print=false
[ "${1:-}" = "--print" ] && print=true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
umask 077
openssl genpkey -algorithm ed25519 -out "$work/jwt.pem"
openssl pkey -in "$work/jwt.pem" -pubout -out "$work/jwt.pub.pem"
random() { openssl rand -hex 24; }
secret() { "$kubectl" create secret generic "$@" --namespace "$namespace" --dry-run=client -o yaml; }
{
  secret parley-jwt-signing --from-file=jwt.pem="$work/jwt.pem"
  echo ---
  secret parley-jwt-public --from-file=jwt.pub.pem="$work/jwt.pub.pem"
  echo ---
  secret parley-secrets \
    --from-literal=admin-password="$(random)" \
    --from-literal=service-token="$(random)" \
    --from-literal=database-password="$(random)"
} >"$work/secrets.yaml"

if $print; then
  cat "$work/secrets.yaml"
  exit 0
fi
if "$kubectl" get secret parley-secrets --namespace "$namespace" >/dev/null 2>&1; then
  echo "create-secrets: the secrets exist already, kept (delete them first to replace them)"
  exit 0
fi
"$kubectl" create namespace "$namespace" --dry-run=client -o yaml | "$kubectl" apply -f -
"$kubectl" create -f "$work/secrets.yaml"
echo "create-secrets: created. The admin password:"
echo "  $kubectl -n $namespace get secret parley-secrets -o jsonpath='{.data.admin-password}' | base64 -d"
