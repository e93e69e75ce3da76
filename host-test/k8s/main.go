// k8s-check decodes every object of a rendered manifest stream (YAML
// documents separated by "---", as `kubectl kustomize` prints them) strictly
// with Kubernetes' own API types: an unknown or misplaced field, a duplicate
// field, a wrong value type or a kind the API does not have fails the object.
//
// Usage: k8s-check < rendered.yaml
// Prints one JSON line per object: {"index", "apiVersion", "kind", "name",
// "ok", "error", "object"}, where object is the typed object encoded again
// (what the API types made of the document: the test reads the pod spec and
// the ConfigMaps from it), then exits 1 if any object failed, else 0.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type result struct {
	Index      int            `json:"index"`
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Name       string         `json:"name"`
	OK         bool           `json:"ok"`
	Error      string         `json:"error,omitempty"`
	Object     runtime.Object `json:"object,omitempty"`
}

func main() {
	scheme := runtime.NewScheme()
	// Only the groups the manifests may use; anything else is an error
	// rather than a silent pass.
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, policyv1.AddToScheme,
		networkingv1.AddToScheme, autoscalingv2.AddToScheme, rbacv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()

	reader := utilyaml.NewYAMLReader(bufio.NewReader(os.Stdin))
	out := json.NewEncoder(os.Stdout)
	failed, index := false, 0
	for {
		doc, err := reader.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "reading the stream:", err)
			os.Exit(2)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		res := check(decoder, doc)
		res.Index = index
		index++
		if !res.OK {
			failed = true
		}
		if err := out.Encode(res); err != nil {
			os.Exit(2)
		}
	}
	if index == 0 {
		fmt.Fprintln(os.Stderr, "no objects in the input")
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

func check(decoder runtime.Decoder, doc []byte) result {
	var meta struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	res := result{}
	if err := yaml.Unmarshal(doc, &meta); err != nil {
		res.Error = err.Error()
		return res
	}
	res.APIVersion, res.Kind, res.Name = meta.APIVersion, meta.Kind, meta.Metadata.Name
	obj, gvk, err := decoder.Decode(doc, nil, nil)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	want := schema.FromAPIVersionAndKind(meta.APIVersion, meta.Kind)
	if *gvk != want {
		res.Error = fmt.Sprintf("decoded as %v, declared %v", *gvk, want)
		return res
	}
	if obj == nil {
		res.Error = "decoded to nothing"
		return res
	}
	res.OK = true
	res.Object = obj
	return res
}
