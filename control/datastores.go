package control

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/fhirlake/fhirlake/engine"
)

// Shapes of HealthLake's API model.

type datastoreProperties struct {
	DatastoreId                   string             `json:"DatastoreId"`
	DatastoreArn                  string             `json:"DatastoreArn"`
	DatastoreName                 string             `json:"DatastoreName,omitempty"`
	DatastoreStatus               string             `json:"DatastoreStatus"`
	CreatedAt                     float64            `json:"CreatedAt"`
	DatastoreTypeVersion          string             `json:"DatastoreTypeVersion"`
	DatastoreEndpoint             string             `json:"DatastoreEndpoint"`
	SseConfiguration              json.RawMessage    `json:"SseConfiguration,omitempty"`
	PreloadDataConfig             json.RawMessage    `json:"PreloadDataConfig,omitempty"`
	IdentityProviderConfiguration json.RawMessage    `json:"IdentityProviderConfiguration,omitempty"`
	ErrorCause                    *engine.ErrorCause `json:"ErrorCause,omitempty"`
}

type datastoreSummary struct {
	DatastoreId       string `json:"DatastoreId"`
	DatastoreArn      string `json:"DatastoreArn"`
	DatastoreStatus   string `json:"DatastoreStatus"`
	DatastoreEndpoint string `json:"DatastoreEndpoint"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// EpochSeconds is an AWS JSON timestamp.
func EpochSeconds(t time.Time) float64 { return float64(t.UnixMilli()) / 1000 }

// ARN is a data store's Amazon Resource Name.
func (h *Handler) ARN(id string) string {
	return fmt.Sprintf("arn:aws:healthlake:%s:%s:datastore/fhir/%s", h.cfg.Region, h.cfg.AccountID, id)
}

// Endpoint is a data store's FHIR base URL.
func (h *Handler) Endpoint(r *http.Request, id string) string {
	return h.cfg.BaseURL(r) + "/datastore/" + id + "/r4/"
}

func (h *Handler) properties(r *http.Request, d *engine.Datastore) datastoreProperties {
	return datastoreProperties{
		DatastoreId: d.ID, DatastoreArn: h.ARN(d.ID), DatastoreName: d.Name, DatastoreStatus: d.Status,
		CreatedAt: EpochSeconds(d.CreatedAt), DatastoreTypeVersion: d.TypeVersion, DatastoreEndpoint: h.Endpoint(r, d.ID),
		SseConfiguration: d.SseConfiguration, PreloadDataConfig: d.PreloadDataConfig,
		IdentityProviderConfiguration: d.IdentityProviderConfiguration, ErrorCause: d.ErrorCause,
	}
}

func (h *Handler) summary(r *http.Request, d *engine.Datastore) datastoreSummary {
	return datastoreSummary{DatastoreId: d.ID, DatastoreArn: h.ARN(d.ID), DatastoreStatus: d.Status, DatastoreEndpoint: h.Endpoint(r, d.ID)}
}

func (h *Handler) createDatastore(r *http.Request, req members) (any, error) {
	var c engine.CreateRequest
	req.required("DatastoreTypeVersion")
	c.Name, _ = req.str("DatastoreName", nameRule)
	c.TypeVersion, _ = req.str("DatastoreTypeVersion", strRule{enum: []string{"R4"}})
	c.ClientToken, _ = req.str("ClientToken", tokenRule)
	if sse, ok := req.object("SseConfiguration"); ok {
		sse.required("KmsEncryptionConfig")
		if kms, ok := sse.object("KmsEncryptionConfig"); ok {
			kms.required("CmkType")
			kms.str("CmkType", strRule{enum: []string{"CUSTOMER_MANAGED_KMS_KEY", "AWS_OWNED_KMS_KEY"}})
			kms.str("KmsKeyId", strRule{min: 1, max: 400, pattern: kmsPattern})
		}
		c.SseConfiguration = req.m["SseConfiguration"]
	}
	if err := req.err(); err != nil {
		return nil, err
	}
	if cmk := customerKey(c.SseConfiguration); cmk != "" {
		return nil, accessDenied("fhirlake cannot use the customer managed KMS key %q: it has no access to AWS KMS; use CmkType AWS_OWNED_KMS_KEY", cmk)
	}
	if pre, ok := req.object("PreloadDataConfig"); ok {
		pre.required("PreloadDataType")
		pre.str("PreloadDataType", strRule{enum: []string{"SYNTHEA"}})
		c.PreloadDataConfig = req.m["PreloadDataConfig"]
	}
	if idp, ok := req.object("IdentityProviderConfiguration"); ok {
		idp.required("AuthorizationStrategy")
		if s, ok := idp.str("AuthorizationStrategy", strRule{enum: []string{"SMART_ON_FHIR_V1", "SMART_ON_FHIR", "AWS_AUTH"}}); ok && s != "AWS_AUTH" {
			idp.fail("AuthorizationStrategy %s is not supported by this server: only AWS_AUTH (Signature Version 4) is", s)
		}
		c.IdentityProviderConfiguration = req.m["IdentityProviderConfiguration"]
	}
	c.Tags = tagList(req, "Tags")
	if err := req.err(); err != nil {
		return nil, err
	}
	d, err := h.cfg.Engine.CreateDatastore(r.Context(), c)
	if err != nil {
		return nil, err
	}
	s := h.summary(r, d)
	return s, nil
}

// customerKey returns the key of an SseConfiguration that asks for a
// customer managed KMS key.
func customerKey(sse json.RawMessage) string {
	var c struct {
		KmsEncryptionConfig struct{ CmkType, KmsKeyId string }
	}
	if len(sse) == 0 || json.Unmarshal(sse, &c) != nil || c.KmsEncryptionConfig.CmkType != "CUSTOMER_MANAGED_KMS_KEY" {
		return ""
	}
	if c.KmsEncryptionConfig.KmsKeyId == "" {
		return "(no KmsKeyId)"
	}
	return c.KmsEncryptionConfig.KmsKeyId
}

func tagList(req members, name string) []engine.Tag {
	items, ok := req.list(name, 200)
	if !ok {
		return nil
	}
	var tags []engine.Tag
	for i, raw := range items {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			req.fail("Value at '%s.%d' must be an object with Key and Value", req.where(name), i+1)
			continue
		}
		item := members{m: m, path: fmt.Sprintf("%s.%d.", req.where(name), i+1), errs: req.errs}
		item.required("Key")
		item.required("Value")
		k, kok := item.str("Key", strRule{min: 1, max: 128, pattern: tagPattern})
		v, vok := item.str("Value", strRule{max: 256, pattern: tagPattern})
		if kok && vok {
			tags = append(tags, engine.Tag{Key: k, Value: v})
		}
	}
	return tags
}

func (h *Handler) datastoreID(req members) string {
	req.required("DatastoreId")
	id, _ := req.str("DatastoreId", datastoreRule)
	return id
}

func (h *Handler) describeDatastore(r *http.Request, req members) (any, error) {
	id := h.datastoreID(req)
	if err := req.err(); err != nil {
		return nil, err
	}
	d, err := h.cfg.Engine.Datastore(r.Context(), id)
	if err != nil {
		return nil, datastoreNotFound(id, err)
	}
	return map[string]any{"DatastoreProperties": h.properties(r, d)}, nil
}

func datastoreNotFound(id string, err error) error {
	if translate(err).Type == "ResourceNotFoundException" {
		return notFound("Datastore %s does not exist", id)
	}
	return err
}

func (h *Handler) deleteDatastore(r *http.Request, req members) (any, error) {
	id := h.datastoreID(req)
	if err := req.err(); err != nil {
		return nil, err
	}
	d, err := h.cfg.Engine.DeleteDatastore(r.Context(), id)
	if err != nil {
		return nil, datastoreNotFound(id, err)
	}
	return h.summary(r, d), nil
}

// A NextToken is the position after the last data store returned.
type listToken struct {
	CreatedAt int64  `json:"c"`
	ID        string `json:"i"`
}

func (h *Handler) listDatastores(r *http.Request, req members) (any, error) {
	var name, status string
	var before, after time.Time
	if f, ok := req.object("Filter"); ok {
		name, _ = f.str("DatastoreName", nameRule)
		status, _ = f.str("DatastoreStatus", statusRule)
		before, _ = f.timestamp("CreatedBefore")
		after, _ = f.timestamp("CreatedAfter")
	}
	max := 100
	if n, ok := req.integer("MaxResults", 1, 500); ok {
		max = n
	}
	var pos *listToken
	if tok, ok := req.str("NextToken", nextRule); ok && tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		pos = &listToken{}
		if err != nil || json.Unmarshal(b, pos) != nil {
			req.fail("Value at 'nextToken' is not a token this server issued")
		}
	}
	if err := req.err(); err != nil {
		return nil, err
	}
	all, err := h.cfg.Engine.Datastores(r.Context())
	if err != nil {
		return nil, err
	}
	list := []datastoreProperties{}
	var next string
	var last *engine.Datastore
	for _, d := range all {
		if pos != nil && (d.CreatedAt.UnixNano() < pos.CreatedAt || d.CreatedAt.UnixNano() == pos.CreatedAt && d.ID <= pos.ID) {
			continue
		}
		if name != "" && d.Name != name || status != "" && d.Status != status ||
			!before.IsZero() && !d.CreatedAt.Before(before) || !after.IsZero() && !d.CreatedAt.After(after) {
			continue
		}
		if len(list) == max {
			b, _ := json.Marshal(listToken{CreatedAt: last.CreatedAt.UnixNano(), ID: last.ID})
			next = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		list = append(list, h.properties(r, d))
		last = d
	}
	resp := map[string]any{"DatastorePropertiesList": list}
	if next != "" {
		resp["NextToken"] = next
	}
	return resp, nil
}

// datastoreOfARN checks a resource ARN and returns its data store id.
func (h *Handler) datastoreOfARN(req members, name string) string {
	req.required(name)
	arn, ok := req.str(name, strRule{min: 1, max: 1011, pattern: arnPattern})
	if !ok {
		return ""
	}
	id := arn[strings.LastIndex(arn, "/")+1:]
	if arn != h.ARN(id) {
		req.fail("Value '%s' at '%s' is not the ARN of a data store of this server (%s)", arn, req.where(name), h.ARN("<id>"))
		return ""
	}
	return id
}

func (h *Handler) tagResource(r *http.Request, req members) (any, error) {
	id := h.datastoreOfARN(req, "ResourceARN")
	req.required("Tags")
	tags := tagList(req, "Tags")
	if err := req.err(); err != nil {
		return nil, err
	}
	if err := h.cfg.Engine.TagDatastore(r.Context(), id, tags); err != nil {
		return nil, datastoreNotFound(id, err)
	}
	return struct{}{}, nil
}

func (h *Handler) untagResource(r *http.Request, req members) (any, error) {
	id := h.datastoreOfARN(req, "ResourceARN")
	req.required("TagKeys")
	var keys []string
	if items, ok := req.list("TagKeys", 200); ok {
		for i, raw := range items {
			var k string
			if err := json.Unmarshal(raw, &k); err != nil || k == "" || len(k) > 128 || !tagPattern.MatchString(k) {
				req.fail("Value at 'tagKeys.%d' must be a tag key of 1 to 128 characters", i+1)
				continue
			}
			keys = append(keys, k)
		}
	}
	if err := req.err(); err != nil {
		return nil, err
	}
	if err := h.cfg.Engine.UntagDatastore(r.Context(), id, keys); err != nil {
		return nil, datastoreNotFound(id, err)
	}
	return struct{}{}, nil
}

func (h *Handler) listTags(r *http.Request, req members) (any, error) {
	id := h.datastoreOfARN(req, "ResourceARN")
	if err := req.err(); err != nil {
		return nil, err
	}
	tags, err := h.cfg.Engine.Tags(r.Context(), id)
	if err != nil {
		return nil, datastoreNotFound(id, err)
	}
	out := []tag{}
	for _, t := range tags {
		out = append(out, tag{Key: t.Key, Value: t.Value})
	}
	return map[string]any{"Tags": out}, nil
}
