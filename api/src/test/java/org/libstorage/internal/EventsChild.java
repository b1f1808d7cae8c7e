package org.libstorage.internal;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import org.libstorage.Pool;
import org.libstorage.Storage;
import org.libstorage.StorageConfig;
import org.libstorage.StorageEvent;
import org.libstorage.VolumeDefinition;

/**
 * Another process for {@link EventsTest}, run in its own JVM:
 * {@code create CONFIG POOL PREFIX COUNT} creates volumes PREFIX-0 .. PREFIX-(COUNT-1) and prints
 * {@code DONE}; {@code follow CONFIG FROM} subscribes from sequence FROM and prints each event
 * as {@code SEQUENCE OPERATION VOLUME}, one at a time, until it is killed.
 */
public final class EventsChild {
    private EventsChild() {
    }

    public static void main(String[] args) throws Exception {
        StorageConfig config = StorageConfig.ofDirectory(Path.of(args[1]));
        try (Storage storage = Storage.open(config)) {
            switch (args[0]) {
                case "create" -> {
                    Pool pool = storage.requirePool(args[2]);
                    int count = Integer.parseInt(args[4]);
                    for (int i = 0; i < count; i++) {
                        pool.createVolume(VolumeDefinition.builder(args[3] + "-" + i, 1).build());
                    }
                    System.out.println("DONE");
                }
                case "follow" -> {
                    CountDownLatch ended = new CountDownLatch(1);
                    storage.events(Long.parseLong(args[2])).subscribe(new Flow.Subscriber<>() {
                        private Flow.Subscription subscription;

                        @Override
                        public void onSubscribe(Flow.Subscription s) {
                            subscription = s;
                            System.out.println("SUBSCRIBED");
                            System.out.flush();
                            s.request(1);
                        }

                        @Override
                        public void onNext(StorageEvent event) {
                            System.out.println(event.sequence() + " " + event.operation() + " "
                                    + (event instanceof StorageEvent.VolumeEvent v ? v.volume() : "-"));
                            System.out.flush();
                            subscription.request(1);
                        }

                        @Override
                        public void onError(Throwable t) {
                            System.out.println("ERROR " + t);
                            ended.countDown();
                        }

                        @Override
                        public void onComplete() {
                            ended.countDown();
                        }
                    });
                    ended.await();
                }
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }
}
