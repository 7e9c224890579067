
# store_delete KEY: deletes <prefix>/<cluster>/KEY (the role may delete under backups/etcd/ only).
store_delete() {
  local path="${S3_BUCKET_PATH}/${STATE_PREFIX}$1" config
  config="$(s3_config DELETE "${path}" '' "${EMPTY_SHA256}" 0)" || return 1
  curl -fsS --retry 3 --connect-timeout 10 --config - -X DELETE -o /dev/null "https://${S3_HOST}${path}" <<<"${config}"
}
