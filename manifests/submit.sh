#!/usr/bin/env bash
# Submits a run: (re)creates the ConfigMap viz-workflow-parameters from parameters/ and (re)submits the
# leader Job with the image named in parameters/parsl_config.json, so the image is set in one place.
#
#   manifests/submit.sh [--parameters DIR] [--namespace NS] [--image IMAGE] [--follow] [--print]
#
#   --print   print the ConfigMap and Job it would apply, and change nothing (no cluster needed)
#   --follow  stream the leader's log after submitting
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
parameters="$here/../parameters"
namespace=viz-workflow
image=""
follow=0
print=0
while (($#)); do
    case "$1" in
        --parameters) parameters=$2; shift 2 ;;
        --namespace) namespace=$2; shift 2 ;;
        --image) image=$2; shift 2 ;;
        --follow) follow=1; shift ;;
        --print) print=1; shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) echo "submit.sh: unknown option $1" >&2; exit 64 ;;
    esac
done
[[ -f "$parameters/parsl_config.json" ]] || { echo "submit.sh: no $parameters/parsl_config.json" >&2; exit 66; }

if [[ -z "$image" ]]; then
    # The workers' image: the executor's "kubernetes" section, or a "provider" of class KubernetesProvider.
    image=$(python3 - "$parameters/parsl_config.json" <<'PY'
import json, sys
config = json.load(open(sys.argv[1]))
for executor in config.get("executors", []):
    for section in (executor.get("kubernetes"), executor.get("provider")):
        if isinstance(section, dict) and section.get("image") and section.get("class", "KubernetesProvider") == "KubernetesProvider":
            print(section["image"])
            sys.exit(0)
sys.exit("submit.sh: parsl_config.json names no KubernetesProvider image (executors[].kubernetes.image)")
PY
)
fi

configmap=$(kubectl create configmap viz-workflow-parameters --namespace "$namespace" --from-file="$parameters" --dry-run=client -o yaml)
job=$(sed -e "s#^\(\s*image:\s*\).*#\1$image#" -e "s#^\(\s*namespace:\s*\)viz-workflow\$#\1$namespace#" "$here/leader-job.yaml")

if ((print)); then
    printf '%s\n---\n%s\n' "$configmap" "$job"
    exit 0
fi

echo "parameters: $parameters -> configmap/viz-workflow-parameters (namespace $namespace)"
printf '%s\n' "$configmap" | kubectl apply -f -
# A Job's pod template cannot change: replace the previous run's Job (its pods, and their workers, go too).
kubectl delete job viz-workflow-leader --namespace "$namespace" --ignore-not-found --wait=true --cascade=foreground
printf '%s\n' "$job" | kubectl apply -f -
echo "submitted: image $image"
echo "watch:   kubectl logs -n $namespace -f job/viz-workflow-leader"
echo "pods:    kubectl get pods -n $namespace -l app.kubernetes.io/name=viz-workflow"
echo "status:  kubectl exec -n $namespace job/viz-workflow-leader -- viz-workflow status runinfo"
if ((follow)); then
    kubectl wait --namespace "$namespace" --for=condition=Ready pod -l app.kubernetes.io/component=leader --timeout=600s
    kubectl logs --namespace "$namespace" -f job/viz-workflow-leader
fi
