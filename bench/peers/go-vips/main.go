// A Go + libvips image server for the bench: the imgproxy stand-in when the Go module proxy does
// not serve imgproxy (see bench/README.md). Same architecture as imgproxy: net/http, libvips via
// cgo, the source read from disk per request, vips_thumbnail (shrink-on-load, auto-rotate), one
// encode, no result cache.
//
//	go-vips -root DIR [-concurrency 2]     then GET /?file=NAME&w=800&fmt=webp&q=80[&anim=1]
//
// It listens on 127.0.0.1 with a free port and prints "listening http://127.0.0.1:PORT".
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/davidbyttow/govips/v2/vips"
)

func main() {
	root := flag.String("root", ".", "folder of source images")
	concurrency := flag.Int("concurrency", 2, "libvips threads per image")
	flag.Parse()
	vips.LoggingSettings(nil, vips.LogLevelError)
	vips.Startup(&vips.Config{ConcurrencyLevel: *concurrency, MaxCacheMem: 0, MaxCacheFiles: 0, MaxCacheSize: 0})
	defer vips.Shutdown()

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		name := filepath.Base(q.Get("file"))
		width, _ := strconv.Atoi(q.Get("w"))
		quality, _ := strconv.Atoi(q.Get("q"))
		buf, err := os.ReadFile(filepath.Join(*root, name))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		params := vips.NewImportParams()
		if q.Get("anim") == "1" {
			params.NumPages.Set(-1)
		}
		img, err := vips.LoadThumbnailFromBuffer(buf, width, 100000, vips.InterestingNone, vips.SizeDown, params)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
		defer img.Close()
		var out []byte
		var contentType string
		switch q.Get("fmt") {
		case "webp":
			p := vips.NewWebpExportParams()
			p.Quality, p.ReductionEffort, p.StripMetadata = quality, 4, true
			out, _, err = img.ExportWebp(p)
			contentType = "image/webp"
		case "avif":
			p := vips.NewAvifExportParams()
			p.Quality, p.Effort, p.StripMetadata = quality, 2, true
			out, _, err = img.ExportAvif(p)
			contentType = "image/avif"
		case "png":
			p := vips.NewPngExportParams()
			p.StripMetadata = true
			out, _, err = img.ExportPng(p)
			contentType = "image/png"
		case "gif":
			p := vips.NewGifExportParams()
			p.Effort = 3
			out, _, err = img.ExportGIF(p)
			contentType = "image/gif"
		default:
			p := vips.NewJpegExportParams()
			p.Quality, p.Interlace, p.StripMetadata = quality, false, true
			out, _, err = img.ExportJpeg(p)
			contentType = "image/jpeg"
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Content-Length", strconv.Itoa(len(out)))
		_, _ = w.Write(out)
	})

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Printf("listening http://%s\n", listener.Addr().String())
	panic(http.Serve(listener, nil))
}
