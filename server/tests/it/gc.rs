//! Garbage collection through the service on real stores: what it frees is really gone from
//! the blob store, what is referenced stays, and a publish racing with it never ends up
//! referencing a deleted blob.

use std::time::Duration;

use modelreg_server::service::{Policy, Registry, RegistryError};

use crate::support::{body, bytes, default_policy, digest_of, embedded_registry, manifest, root};

async fn upload(registry: &Registry, data: &[u8]) {
    registry.upload_blob(&root(), digest_of(data), data.len() as u64, body(data, 4096)).await.unwrap();
}

#[tokio::test]
async fn gc_frees_unreferenced_blobs_and_keeps_referenced_and_young_ones() {
    let (registry, _dir) = embedded_registry(default_policy()).await;
    let (kept, garbage) = (bytes(1000, 1), bytes(3000, 2));
    upload(&registry, &kept).await;
    upload(&registry, &garbage).await;
    registry
        .publish(
            &root(),
            &"acme/m".parse().unwrap(),
            &"1.0.0".parse().unwrap(),
            manifest(&[("w", &kept)], "MIT"),
        )
        .await
        .unwrap();

    let young = registry.collect_garbage(Duration::from_secs(3600), false).await.unwrap();
    assert_eq!((young.blobs_deleted, young.blobs_too_young), (0, 2), "{young:?}");

    let dry = registry.collect_garbage(Duration::ZERO, true).await.unwrap();
    assert_eq!((dry.blobs_deleted, dry.bytes_freed, dry.blobs_in_use), (1, 3000, 1), "{dry:?}");
    assert_eq!(
        registry.blob_size(Some(&root()), &digest_of(&garbage)).await.unwrap(),
        3000,
        "a dry run deletes nothing"
    );

    let done = registry.collect_garbage(Duration::ZERO, false).await.unwrap();
    assert_eq!((done.blobs_deleted, done.bytes_freed, done.blobs_in_use), (1, 3000, 1), "{done:?}");
    assert!(matches!(
        registry.blob_size(Some(&root()), &digest_of(&garbage)).await,
        Err(RegistryError::BlobNotFound(_))
    ));
    assert_eq!(registry.blob_size(Some(&root()), &digest_of(&kept)).await.unwrap(), 1000);
}

#[tokio::test]
async fn a_grace_longer_than_time_itself_spares_every_blob_instead_of_overflowing() {
    let (registry, _dir) = embedded_registry(default_policy()).await;
    upload(&registry, &bytes(100, 7)).await;
    for grace in [Duration::from_secs(u64::MAX), Duration::MAX] {
        let report = registry.collect_garbage(grace, false).await.unwrap();
        assert_eq!((report.blobs_deleted, report.blobs_too_young), (0, 1), "{report:?}");
    }
}

#[tokio::test]
async fn deleting_a_version_lets_gc_free_its_unshared_blobs() {
    // No publish lease, so the collector may act at once.
    let (registry, _dir) =
        embedded_registry(Policy { publish_lease: Duration::ZERO, ..default_policy() }).await;
    let (shared, own) = (bytes(100, 3), bytes(200, 4));
    upload(&registry, &shared).await;
    upload(&registry, &own).await;
    let m = "acme/m".parse().unwrap();
    registry
        .publish(&root(), &m, &"1.0.0".parse().unwrap(), manifest(&[("s", &shared), ("o", &own)], "MIT"))
        .await
        .unwrap();
    registry
        .publish(&root(), &m, &"2.0.0".parse().unwrap(), manifest(&[("s", &shared)], "MIT"))
        .await
        .unwrap();
    registry.delete_version(&m, &"1.0.0".parse().unwrap(), "admin").await.unwrap();
    let report = registry.collect_garbage(Duration::ZERO, false).await.unwrap();
    assert_eq!((report.blobs_deleted, report.bytes_freed), (1, 200), "{report:?}");
    assert_eq!(registry.blob_size(Some(&root()), &digest_of(&shared)).await.unwrap(), 100);
}

/// Publish and GC race on the same old, unreferenced blob many times. Whatever the
/// interleaving, a version that was published must have its blob.
#[tokio::test]
async fn a_publish_racing_with_gc_never_references_a_deleted_blob() {
    let (registry, _dir) = embedded_registry(default_policy()).await;
    let mut published = 0;
    for i in 0..30u8 {
        let data = bytes(500, 100 + i);
        upload(&registry, &data).await;
        let m = format!("acme/race{i}").parse().unwrap();
        let manifest = manifest(&[("w", &data)], "MIT");
        let version = "1.0.0".parse().unwrap();
        // Both run concurrently on one task: they interleave at every await, which is where
        // the database and the blob store are consulted.
        let me = root();
        let (publish, gc) = tokio::join!(
            registry.publish(&me, &m, &version, manifest),
            registry.collect_garbage(Duration::ZERO, false)
        );
        gc.unwrap();
        match publish {
            Ok(_) => {
                published += 1;
                assert_eq!(
                    registry.blob_size(Some(&root()), &digest_of(&data)).await.unwrap(),
                    500,
                    "round {i}: a published version lost its blob"
                );
            }
            Err(RegistryError::MissingBlobs(_)) => {}
            Err(other) => panic!("round {i}: {other}"),
        }
    }
    assert!(published > 0, "no publish ever won the race");
}
