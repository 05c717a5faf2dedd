package ingest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Config says how to reach S3 or an S3-compatible store. Credentials
// come from the standard AWS chain (environment, shared files, instance
// roles) unless Credentials is set.
type S3Config struct {
	Endpoint    string // e.g. http://127.0.0.1:9000; empty: AWS (or AWS_ENDPOINT_URL_S3)
	PathStyle   bool   // bucket in the path, as most S3-compatible stores need
	Region      string // default: from the AWS chain, else us-east-1
	Credentials aws.CredentialsProvider
	HTTPClient  aws.HTTPClient
}

// s3Clients makes one client per configuration, on first use.
type s3Clients struct {
	cfg    S3Config
	once   sync.Once
	client *s3.Client
	err    error
}

func (c *s3Clients) get(ctx context.Context) (*s3.Client, error) {
	c.once.Do(func() {
		var opts []func(*config.LoadOptions) error
		if c.cfg.Region != "" {
			opts = append(opts, config.WithRegion(c.cfg.Region))
		}
		if c.cfg.Credentials != nil {
			opts = append(opts, config.WithCredentialsProvider(c.cfg.Credentials))
		}
		if c.cfg.HTTPClient != nil {
			opts = append(opts, config.WithHTTPClient(c.cfg.HTTPClient))
		}
		awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
		if err != nil {
			c.err = fmt.Errorf("aws configuration: %w", err)
			return
		}
		if awsCfg.Region == "" {
			awsCfg.Region = "us-east-1"
		}
		c.client = s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			if c.cfg.Endpoint != "" {
				o.BaseEndpoint = aws.String(c.cfg.Endpoint)
			}
			o.UsePathStyle = c.cfg.PathStyle
			// S3-compatible stores often lack the SDK's default checksums.
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		})
	})
	return c.client, c.err
}

// s3Source reads the objects under a bucket prefix.
type s3Source struct {
	client *s3.Client
	loc    Location
}

func (s *s3Source) List(ctx context.Context) ([]Object, error) {
	var out []Object
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: aws.String(s.loc.Bucket), Prefix: aws.String(s.loc.Path)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", s.loc, err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if strings.HasSuffix(key, "/") {
				continue // a folder marker
			}
			out = append(out, Object{Key: s.relative(key), Size: aws.ToInt64(o.Size)})
		}
	}
	return out, nil
}

// relative strips the prefix (up to its last '/') from a key.
func (s *s3Source) relative(key string) string {
	dir := s.loc.Path[:strings.LastIndex(s.loc.Path, "/")+1]
	return strings.TrimPrefix(key, dir)
}

func (s *s3Source) key(rel string) string {
	return s.loc.Path[:strings.LastIndex(s.loc.Path, "/")+1] + rel
}

func (s *s3Source) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.loc.Bucket), Key: aws.String(s.key(key))})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", s.loc.Bucket, s.key(key), err)
	}
	return out.Body, nil
}

func (s *s3Source) URI(key string) string { return "s3://" + s.loc.Bucket + "/" + s.key(key) }

// s3Dest writes objects under a bucket prefix.
type s3Dest struct {
	client *s3.Client
	loc    Location // a folder
}

func (d *s3Dest) objectKey(name string) string {
	p := d.loc.Path
	if p != "" && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p + name
}

func (d *s3Dest) Put(ctx context.Context, name string, body io.ReadSeeker, size int64) error {
	_, err := d.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(d.loc.Bucket), Key: aws.String(d.objectKey(name)),
		Body: body, ContentLength: aws.Int64(size),
	})
	if err != nil {
		return fmt.Errorf("put s3://%s/%s: %w", d.loc.Bucket, d.objectKey(name), err)
	}
	return nil
}

func (d *s3Dest) URI(name string) string { return "s3://" + d.loc.Bucket + "/" + d.objectKey(name) }
