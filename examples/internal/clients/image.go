package main

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"time"
)

// OCI media types used by the pause image.
const (
	mediaIndex    = "application/vnd.oci.image.index.v1+json"
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar"
)

// descriptor is an OCI content descriptor.
type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    map[string]string `json:"platform,omitempty"`
}

// blob is one piece of content of the image archive.
type blob struct {
	desc descriptor
	data []byte
}

func newBlob(mediaType string, data []byte) blob {
	sum := sha256.Sum256(data)
	return blob{desc: descriptor{MediaType: mediaType, Digest: "sha256:" + hex.EncodeToString(sum[:]), Size: int64(len(data))}, data: data}
}

// tarFile is one regular file of a tar stream.
type tarFile struct {
	name string
	mode int64
	data []byte
}

// writeTar returns a tar stream holding files, with a fixed time stamp so
// the same input gives the same bytes.
func writeTar(files []tarFile) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	stamp := time.Unix(0, 0).UTC()
	for _, f := range files {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: f.mode, Size: int64(len(f.data)), ModTime: stamp, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pauseImage returns an OCI image layout archive (as `ctr images import`
// reads it) with one uncompressed layer holding binary at /pause, the
// entrypoint, named name through the io.containerd.image.name annotation
// of the index (without it `ctr images import --local` drops the name).
func pauseImage(name string, binary []byte) ([]byte, error) {
	layerTar, err := writeTar([]tarFile{{name: "pause", mode: 0o755, data: binary}})
	if err != nil {
		return nil, fmt.Errorf("pause image layer: %w", err)
	}
	layer := newBlob(mediaLayer, layerTar)
	cfg, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"config":       map[string]any{"Entrypoint": []string{"/pause"}},
		"rootfs":       map[string]any{"type": "layers", "diff_ids": []string{layer.desc.Digest}},
	})
	if err != nil {
		return nil, err
	}
	config := newBlob(mediaConfig, cfg)
	man, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        config.desc,
		"layers":        []descriptor{layer.desc},
	})
	if err != nil {
		return nil, err
	}
	manifest := newBlob(mediaManifest, man)
	entry := manifest.desc
	entry.Platform = map[string]string{"architecture": runtime.GOARCH, "os": "linux"}
	entry.Annotations = map[string]string{"io.containerd.image.name": name}
	index, err := json.Marshal(map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaIndex,
		"manifests":     []descriptor{entry},
	})
	if err != nil {
		return nil, err
	}
	files := []tarFile{
		{name: "oci-layout", mode: 0o644, data: []byte(`{"imageLayoutVersion":"1.0.0"}`)},
		{name: "index.json", mode: 0o644, data: index},
	}
	for _, b := range []blob{layer, config, manifest} {
		files = append(files, tarFile{name: "blobs/sha256/" + b.desc.Digest[len("sha256:"):], mode: 0o644, data: b.data})
	}
	return writeTar(files)
}

// writePauseImage writes the archive of pauseImage to path.
func writePauseImage(path, name, binaryPath string) error {
	bin, err := os.ReadFile(binaryPath)
	if err != nil {
		return fmt.Errorf("pause binary: %w", err)
	}
	archive, err := pauseImage(name, bin)
	if err != nil {
		return err
	}
	return os.WriteFile(path, archive, 0o644)
}
