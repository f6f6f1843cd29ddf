// The SSE2 byte scans of Sources/CBarazaText against the same files built without SSE2 and with
// BARAZA_SCALAR_REFERENCE (their byte loops, under baraza_scalar_ names), on random bytes of random
// lengths in buffers of exactly their size, under AddressSanitizer and UndefinedBehaviorSanitizer
// (Fuzz/run.sh builds and runs it). Prints "ok" or the first difference and exits nonzero.
#include "CBarazaText.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define s_utf8 baraza_scalar_utf8_simple_count
#define s_len baraza_scalar_json_array_length
#define s_arr baraza_scalar_json_array
#define s_csv baraza_scalar_csv_run
#define s_valid baraza_scalar_utf8_valid
#define s_rec baraza_scalar_csv_record
#define s_words baraza_scalar_scan_words
int64_t s_utf8(const uint8_t*,size_t); size_t s_len(const uint8_t*,const intptr_t*,size_t); size_t s_arr(const uint8_t*,const intptr_t*,size_t,uint8_t*);
size_t s_csv(const uint8_t*,size_t,uint8_t,int,uint32_t*); int s_valid(const uint8_t*,size_t);
size_t s_rec(const uint8_t*,size_t,uint8_t,uint8_t*,intptr_t*,size_t,baraza_csv_record_info*);
size_t s_words(const uint8_t*,size_t,const uint64_t*,const baraza_word_filter*,uint64_t*,baraza_word*,baraza_word*);
int main(int argc, char **argv){
  long iterations = argc > 1 ? atol(argv[1]) : 100000, records = 0;
  srand(7); static uint64_t rel[529]; for(int i=0;i<529*64;i++) if(rand()%3==0) rel[i>>6]|=1ULL<<(i&63);
  // A sparse bitset like a codebook's (a few first characters), and the prefilter for each.
  static uint64_t sparse[529]; for(int i=0;i<24;i++){ unsigned a=1+rand()%11, x=(a<<10)|((unsigned)(rand()%32)<<5)|(unsigned)(rand()%32); sparse[x>>6]|=1ULL<<(x&63); }
  for(int i=0;i<3;i++){ unsigned x=512*64+(unsigned)(rand()%1024); sparse[x>>6]|=1ULL<<(x&63); } sparse[528]|=1ULL<<14;
  baraza_word_filter fdense, fsparse; baraza_word_filter_make(rel,&fdense); baraza_word_filter_make(sparse,&fsparse);
  if(!fsparse.enabled) printf("note: the prefilter is off on this processor\n");
  if(!baraza_has_wide()) printf("note: no AVX-512 BW on this processor: its forms are not compared\n");
  const char *alpha=" ,.;aZ9é\"\\\n\r\t\x01\x7f\xcc(?";
  for(long it=0; it<iterations; it++){
    size_t n=rand()% (it%100==0 ? 5000 : 200);
    uint8_t *buf=malloc(n?n:1); // exact size: ASan catches any over-read
    for(size_t i=0;i<n;i++){ int r=rand()%4; buf[i]= r==0? (uint8_t)(rand()%256) : (uint8_t)alpha[rand()%strlen(alpha)]; if(r==1) buf[i]='a'+rand()%26; }
    if (baraza_utf8_simple_count(buf,n)!=s_utf8(buf,n)) { printf("utf8 diff\n"); return 1; }
    { // Counted texts (no byte from 0xCC on) dense in CR, LF and two-byte characters, across blocks.
      size_t m2=(size_t)(rand()%300); uint8_t *t2=malloc(m2?m2:1); const char *al="a\r\n\xc3\xa9 ";
      for(size_t i=0;i<m2;i++) t2[i]=(uint8_t)al[rand()%6];
      if (baraza_utf8_simple_count(t2,m2)!=s_utf8(t2,m2)) { printf("utf8 count diff\n"); return 1; }
      free(t2); }
    if (baraza_utf8_valid(buf,n)!=s_valid(buf,n)) { printf("utf8 valid diff\n"); return 1; }
    { // Mostly valid UTF-8 (characters of one to four bytes, now and then a byte changed or the text
      // cut), across 64-byte blocks: the AVX-512 BW check, the SSE2 one and the byte loop agree.
      static const char *chars[] = {"a", " ", "\xc3\xa9", "\xe2\x80\x99", "\xf0\x9d\x84\x9e", "\xef\xbf\xbf", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"};
      static const uint8_t odd[] = {0x80, 0xbf, 0xc0, 0xc1, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 0x00};
      uint8_t t3[1200]; size_t m3=0, want=(size_t)(rand()%300);
      while (m3 < want) { const char *c=chars[rand()%8]; size_t l=strlen(c); if (!l) l=1; memcpy(t3+m3, c, l); m3+=l; }
      if (m3 && rand()%2) t3[rand()%m3] = odd[rand()%11];
      if (m3 && rand()%4==0) m3 = (size_t)(rand()%m3);
      uint8_t *t4=malloc(m3?m3:1); memcpy(t4,t3,m3);
      int v0=s_valid(t4,m3), v1=baraza_utf8_valid_with(0,t4,m3), v2=baraza_utf8_valid_with(1,t4,m3);
      if (v0!=v1||v0!=v2) { printf("utf8 valid diff (near-valid)\n"); return 1; }
      free(t4); }
    size_t nf = n ? 1 + rand()%5 : 0; intptr_t *ends=malloc(sizeof(intptr_t)*(nf?nf:1)); for(size_t k=0;k<nf;k++) ends[k]= k+1==nf ? n : (k+1)*n/nf;
    size_t l1=baraza_json_array_length(buf,ends,nf), l2=s_len(buf,ends,nf); if(l1!=l2){printf("len diff\n");return 1;}
    uint8_t *o1=malloc(l1+16), *o2=malloc(l2+16); // the writer may use 16 bytes past the array
    size_t a1=baraza_json_array(buf,ends,nf,o1), a2=s_arr(buf,ends,nf,o2); if(a1!=a2||a1!=l1||memcmp(o1,o2,a1)){printf("arr diff\n");return 1;}
    // The AVX-512 BW form (where the processor has it) against the SSE2 one.
    // Its output in a buffer of exactly the array's size: its stores are masked to the bytes it writes.
    { uint8_t *o3=malloc(l1); a1=baraza_json_array_with(1,buf,ends,nf,o3); a2=baraza_json_array_with(0,buf,ends,nf,o2);
      if(a1!=a2||a1!=l1||memcmp(o3,o2,a1)){printf("arr wide diff\n");return 1;} free(o3); }
    size_t nm=4*((n+63)/64); uint64_t *m=malloc(8*(nm?nm:1)); baraza_word *w1=malloc(sizeof(baraza_word)*(n/2+1)), *w2=malloc(sizeof(baraza_word)*(n/2+1));
    baraza_word t1, t2;
    // SSE2 against byte loops without the prefilter, and each with the prefilter against without.
    // Then the prefilter's SSSE3 level against its AVX-512 BW one (where the processor has it).
    for(int v=0; v<8; v++){
      const uint64_t *r = v<3 || v==6 ? rel : sparse; const baraza_word_filter *f = v<3 || v==6 ? &fdense : &fsparse;
      size_t k1, k2;
      if(v>=6){ baraza_word_filter f1=*f; if(f1.enabled>1) f1.enabled=1; k1=baraza_scan_words(buf,n,r,&f1,m,w1,&t1); k2=baraza_scan_words(buf,n,r,f,m,w2,&t2); }
      else if(v%3==0){ k1=baraza_scan_words(buf,n,r,NULL,m,w1,&t1); k2=s_words(buf,n,r,NULL,m,w2,&t2); }
      else if(v%3==1){ k1=baraza_scan_words(buf,n,r,f,m,w1,&t1); k2=baraza_scan_words(buf,n,r,NULL,m,w2,&t2); }
      else { k1=s_words(buf,n,r,f,m,w1,&t1); k2=s_words(buf,n,r,NULL,m,w2,&t2); }
      if(k1!=k2||memcmp(w1,w2,k1*sizeof(baraza_word))||memcmp(&t1,&t2,sizeof t1)){printf("words diff (%d)\n",v);return 1;}
    }
    for(int q=0;q<2;q++){ uint32_t f1=0,f2=0; uint8_t d=(uint8_t)",;\t"[it%3]; size_t r1=baraza_csv_run(buf,n,d,q,&f1), r2=s_csv(buf,n,d,q,&f2); if(r1!=r2||f1!=f2){printf("csv diff\n");return 1;} }
    { // a whole record: output with its 16 bytes of slack, field ends in a room of 0 to 63
      uint8_t d=(uint8_t)",;\t"[it%3]; uint8_t *r1=malloc(n+16), *r2=malloc(n+16); intptr_t e1[64], e2[64]; size_t room=(size_t)(rand()%64);
      baraza_csv_record_info i1, i2; memset(&i1,0,sizeof i1); memset(&i2,0,sizeof i2);
      size_t c1=baraza_csv_record(buf,n,d,r1,e1,room,&i1), c2=s_rec(buf,n,d,r2,e2,room,&i2);
      if(c1!=c2||memcmp(&i1,&i2,sizeof i1)||(c1&&(memcmp(r1,r2,i1.bytes)||memcmp(e1,e2,i1.fields*sizeof(intptr_t))))){printf("record diff\n");return 1;}
      if(c1) records++;
      // The AVX-512 BW form against the SSE2 one, with outputs of exactly the record's size and slack.
      memset(&i1,0,sizeof i1); memset(&i2,0,sizeof i2);
      c1=baraza_csv_record_with(1,buf,n,d,r1,e1,room,&i1); c2=baraza_csv_record_with(0,buf,n,d,r2,e2,room,&i2);
      if(c1!=c2||memcmp(&i1,&i2,sizeof i1)||(c1&&(memcmp(r1,r2,i1.bytes)||memcmp(e1,e2,i1.fields*sizeof(intptr_t))))){printf("record wide diff\n");return 1;}
      // The VBMI2 block form (the default where the processor has it) against the AVX-512 BW one.
      memset(&i1,0,sizeof i1); memset(&i2,0,sizeof i2);
      c1=baraza_csv_record_with(2,buf,n,d,r1,e1,room,&i1); c2=baraza_csv_record_with(1,buf,n,d,r2,e2,room,&i2);
      if(c1!=c2||memcmp(&i1,&i2,sizeof i1)||(c1&&(memcmp(r1,r2,i1.bytes)||memcmp(e1,e2,i1.fields*sizeof(intptr_t))))){printf("record block diff\n");return 1;}
      free(r1); free(r2); }
    free(buf); free(ends); free(o1); free(o2); free(m); free(w1); free(w2);
  }
  printf("ok (%ld whole records read)\n", records); return 0;
}
